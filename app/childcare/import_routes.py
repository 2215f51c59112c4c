"""The import pages: upload, confirm the possible duplicates (or discard the upload), and the template."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.childcare.forms import ChildImportForm
from app.childcare.import_jobs import (
    HELD,
    held_result,
    is_large_import,
    queue_confirmation,
    queue_import,
    upload_choices,
    upload_of,
)
from app.childcare.imports import (
    ImportResult,
    confirm_import,
    discard_import,
    parse_choices,
    pending_import,
    upload_children,
)
from app.childcare.routes import XLSX, bp
from app.childcare.transfer import count_rows, template_xlsx
from app.confirm import Choice, Question, ask
from app.domain import apply
from app.extensions import db
from app.permissions import Permission, permission_required


@bp.route("/import/template.xlsx")
@permission_required(Permission.EDIT_CHILDREN)
def import_template():
    return Response(
        template_xlsx(), mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="children-template.xlsx"'}
    )


def _summary(result: ImportResult) -> str:
    if result.pending is not None:
        return _(
            "Nothing is saved yet: %(n)d rows may be children already on file. Please choose for each row below.",
            n=len(result.duplicates),
        )
    return _(
        "Imported: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN)
def import_view():
    """Upload children's files (XLSX or CSV, the template's columns): every row valid, or nothing is saved; rows
    that may be files already on record wait for the user's choice."""
    form = ChildImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        raw, filename = upload.read(), upload.filename or ""
        rows = count_rows(raw, filename)
        if is_large_import(rows):  # a job, so that no proxy or worker timeout cuts it off: its page shows progress
            queued = queue_import(raw, filename, rows, by=current_user)
            db.session.commit()
            flash(_("The file is being imported: this page shows how far it has got."), "success")
            return redirect(url_for("children.import_progress", token=queued.token), 303)
        result = ImportResult()
        apply(lambda: upload_children(raw, filename, by=current_user, result=result), lambda: _summary(result))
    status = 422 if result and result.errors else 200
    return render_template("children/import.html", form=form, result=result, choices={}), status


@bp.route("/import/confirm", methods=["POST"])
@permission_required(Permission.EDIT_CHILDREN)
def import_confirm():
    """Apply a held upload with a choice for each possible duplicate: the same child (update that file) or a
    different child (a new file). Only the uploader's own upload."""
    pending = pending_import(request.form.get("token", ""), current_user)
    if pending is None:
        abort(404)
    choices = parse_choices(request.form)
    if is_large_import(pending.total):
        apply(lambda: queue_confirmation(pending, choices, by=current_user), _("The file is being imported."))
        return redirect(url_for("children.import_progress", token=pending.token), 303)
    result = ImportResult()
    if apply(lambda: confirm_import(pending, choices, by=current_user, result=result), lambda: _summary(result)):
        return redirect(url_for("children.index"))
    page = render_template("children/import.html", form=ChildImportForm(), result=result, choices=choices)
    return page, 422


@bp.route("/import/discard", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN)
def import_discard():
    """Abandon a held upload (the uploader's own): nothing of it is saved. GET asks first."""
    token = (request.form if request.method == "POST" else request.args).get("token", "")
    pending = pending_import(token, current_user)
    if pending is None and request.method == "GET":
        return redirect(url_for("children.import_view"))
    if pending is None:
        abort(404)
    if request.method == "GET":
        return ask(
            Question(
                _("Discard this upload?"),
                [
                    _(
                        "Nothing of it is imported, and the choices made for its possible duplicates are lost; to "
                        "import it later, upload the file again."
                    )
                ],
                [Choice(url_for("children.import_discard"), _("Yes, discard the upload"), {"token": token})],
                url_for("children.import_view"),
                keep=_("No, go back"),
            )
        )
    apply(lambda: discard_import(pending, by=current_user), _("The upload was discarded: nothing was imported."))
    return redirect(url_for("children.import_view"))


@bp.route("/import/<token>")
@permission_required(Permission.EDIT_CHILDREN, scope="own_import")
def import_progress(token):
    """A large upload's page: how far the job has got (the page refreshes itself until it is finished), then the
    outcome — the files imported, the rows to correct, or the possible duplicates to choose."""
    upload = upload_of(token)
    if upload.status == HELD and not (upload.result or {}).get("duplicates"):
        abort(404)  # a small upload held within its request: its choices are on the import page
    held = held_result(upload, current_user) if upload.status == HELD else None
    choices = upload_choices(upload) if held else {}
    return render_template("children/import_job.html", upload=upload, held=held, choices=choices)
