"""The import pages: upload, confirm the possible duplicates (or discard the upload), and the template."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import User
from app.childcare.forms import ChildImportForm
from app.childcare.imports import (
    ImportResult,
    confirm_import,
    discard_import,
    hold_import,
    import_children_steps,
    parse_choices,
    pending_import,
    upload_children,
)
from app.childcare.routes import XLSX, bp
from app.childcare.transfer import count_rows, template_xlsx
from app.domain import apply
from app.extensions import db
from app.permissions import Permission, permission_required

LARGE_IMPORT = 500


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
        if count_rows(raw, filename) > LARGE_IMPORT:
            return Response(stream_with_context(_import_with_progress(raw, filename)), mimetype="text/html")
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
    result = ImportResult()
    choices = parse_choices(request.form)
    if apply(lambda: confirm_import(pending, choices, by=current_user, result=result), lambda: _summary(result)):
        return redirect(url_for("children.index"))
    page = render_template("children/import.html", form=ChildImportForm(), result=result, choices=choices)
    return page, 422


@bp.route("/import/discard", methods=["POST"])
@permission_required(Permission.EDIT_CHILDREN)
def import_discard():
    """Abandon a held upload (the uploader's own): nothing of it is saved."""
    pending = pending_import(request.form.get("token", ""), current_user)
    if pending is None:
        abort(404)
    apply(lambda: discard_import(pending, by=current_user), _("The upload was discarded: nothing was imported."))
    return redirect(url_for("children.import_view"))


def _import_with_progress(raw: bytes, filename: str):
    """A large import streams its page: progress lines appear as rows are checked and saved (no script needed).

    The body runs after the view returned, so it cannot go through ``apply`` (nothing could be flashed): it commits
    or rolls back itself. A later change moves large imports to a job."""
    template = current_app.jinja_env.get_template("children/import_progress.html")
    yield template.module.head()
    # A streamed body runs after the view returned: load the user into the session that is current now.
    user = db.session.get(User, current_user.id)
    result = ImportResult()
    for phase, done, total in import_children_steps(raw, filename, by=user, result=result):
        yield template.module.progress(phase, done, total)
    if result.errors:
        db.session.rollback()
    else:
        if result.duplicates:
            hold_import(result, raw, filename, by=user)
        db.session.commit()
    yield template.module.result(result)
