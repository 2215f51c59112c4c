"""A file's timeline entries (visits, work log, care, problems, file checks), its problems' progress and closing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.childcare.ages import age_limit, years_before
from app.childcare.files import close_file, reopen_file
from app.childcare.forms import (
    CareActionForm,
    CloseForm,
    FileCheckForm,
    ProblemForm,
    ProblemUpdateForm,
    VisitForm,
    WorkLogForm,
)
from app.childcare.labels import CHILD_LABELS
from app.childcare.models import (
    CareKind,
    CheckLevel,
    Child,
    ChildStatus,
    CloseReason,
    Problem,
    ProblemStatus,
    VisitKind,
)
from app.childcare.routes import _child_or_404, bp
from app.childcare.services import (
    add_care_action,
    add_work_log,
    raise_problem,
    record_file_check,
    record_visit,
    today,
    update_problem,
)
from app.confirm import Choice, Question, ask
from app.directory.models import Organization
from app.domain import apply
from app.extensions import db
from app.formatting import date_filter
from app.i18n import localized_name
from app.permissions import Permission, can_check_file, can_edit_child, can_record_check, permission_required

ENTRY_FORMS = {
    "visit": VisitForm,
    "log": WorkLogForm,
    "care": CareActionForm,
    "problem": ProblemForm,
    "check": FileCheckForm,
}


@bp.route("/<int:child_id>/add/<kind>", methods=["GET", "POST"])
@permission_required(Permission.VIEW_CHILDREN, scope="child")
def add_entry(child_id: int, kind: str):
    """Add a visit, work-log entry, care action, problem or (for supervisors and the county) a file check."""
    child = _child_or_404(child_id)
    if kind not in ENTRY_FORMS:
        abort(404)
    allowed = can_check_file(child) if kind == "check" else can_edit_child(child)
    if not allowed:
        abort(403)
    form = ENTRY_FORMS[kind]()
    if request.method == "GET":
        for name in ("visited_on", "logged_on", "acted_on", "found_on", "checked_on"):
            if hasattr(form, name):
                getattr(form, name).data = today()
    if kind == "care":
        organizations = db.session.scalars(
            select(Organization).where(Organization.is_active).order_by(Organization.sort_order)
        )
        form.organization_id.choices = [(0, _("— none —"))] + [(o.id, localized_name(o)) for o in organizations]
    if kind == "check":
        # Only the level this user may record: the county its spot check, a town's supervisor the full check.
        levels = [level for level in CheckLevel if can_record_check(child, level)]
        form.level.choices = [(level.value, CHILD_LABELS[level]) for level in levels]
    if form.validate_on_submit() and apply(lambda: _save_entry(child, kind, form), _("Saved to the file."), form=form):
        return redirect(url_for("children.show", child_id=child.id))
    return render_template("children/entry.html", child=child, form=form, kind=kind), 422 if form.errors else 200


def _save_entry(child: Child, kind: str, form) -> None:
    if kind == "visit":
        record_visit(
            child,
            kind=VisitKind(form.kind.data),
            visited_on=form.visited_on.data,
            findings=form.findings.data,
            caregiver_ability=form.caregiver_ability.data or "",
            psychological_needs=form.psychological_needs.data or "",
            problem=form.problem.data or "",
            by=current_user,
        )
    elif kind == "log":
        add_work_log(child, logged_on=form.logged_on.data, text=form.text.data, by=current_user)
    elif kind == "care":
        add_care_action(
            child,
            kind=CareKind(form.kind.data),
            acted_on=form.acted_on.data,
            organization_id=form.organization_id.data or None,
            notes=form.notes.data or "",
            by=current_user,
        )
    elif kind == "problem":
        raise_problem(
            child,
            description=form.description.data,
            found_on=form.found_on.data,
            handler=form.handler.data or "",
            by=current_user,
        )
    else:
        record_file_check(
            child,
            level=CheckLevel(form.level.data),
            checked_on=form.checked_on.data,
            passed=form.passed.data == "1",
            remarks=form.remarks.data or "",
            by=current_user,
        )


@bp.route("/<int:child_id>/problems/<int:problem_id>", methods=["POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def update_problem_view(child_id: int, problem_id: int):
    child = _child_or_404(child_id)
    problem = db.session.get(Problem, problem_id)
    if problem is None or problem.child_id != child.id:
        abort(404)
    if not can_edit_child(child):
        abort(403)
    form = ProblemUpdateForm()
    if form.validate_on_submit():
        apply(
            lambda: update_problem(
                problem,
                status=ProblemStatus(form.status.data),
                handler=form.handler.data or "",
                solution=form.solution.data or "",
                by=current_user,
            ),
            _("Saved to the file."),
        )
    else:
        flash(_("Please check the form."), "error")
    return redirect(url_for("children.show", child_id=child.id))


@bp.route("/<int:child_id>/close", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def close(child_id: int):
    """GET asks first (what closing does, the problems still open) and takes the reason, none chosen; POST closes."""
    child = _child_or_404(child_id)
    if not can_edit_child(child):
        abort(403)
    if child.status == ChildStatus.CLOSED and request.method == "GET":
        return redirect(url_for("children.show", child_id=child.id))
    form = CloseForm().for_age(child.age_on(today()))
    if request.method == "POST" and form.validate_on_submit():
        apply(lambda: close_file(child, CloseReason(form.reason.data), by=current_user), _("The file has been closed."))
        return redirect(url_for("children.show", child_id=child.id))
    return ask(close_question(child, form), 422 if request.method == "POST" else 200)


@bp.route("/<int:child_id>/reopen", methods=["POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def reopen(child_id: int):
    """The child's director (or the administrator) reopens a closed file: it is back on the worklists."""
    child = _child_or_404(child_id)
    if not can_edit_child(child):
        abort(403)
    apply(lambda: reopen_file(child, by=current_user), _("The file has been reopened."))
    return redirect(url_for("children.show", child_id=child.id))


def close_question(child: Child, form: CloseForm) -> Question:
    open_problems = db.session.scalars(
        select(Problem)
        .where(Problem.child_id == child.id, Problem.status != ProblemStatus.RESOLVED)
        .order_by(Problem.found_on)
    ).all()
    limit = age_limit(child.categories)
    lost = [
        _(
            "%(name)s’s file leaves the worklists and the visit rules; the file and its history stay, and you can "
            "reopen it.",
            name=child.name,
        )
    ]
    if child.birth_date <= years_before(today(), limit):
        lost.append(_("The child has reached the file’s age limit (%(n)d years).", n=limit))
    return Question(
        _("Close the file?"),
        lost,
        [Choice(url_for("children.close", child_id=child.id), _("Close the file"), form=form)],
        url_for("children.show", child_id=child.id),
        keep=_("No, keep it open"),
        warning=(
            ngettext("%(num)d problem is still open:", "%(num)d problems are still open:", len(open_problems))
            if open_problems
            else None
        ),
        items=[f"{date_filter(p.found_on)} · {p.description}" for p in open_problems],
    )
