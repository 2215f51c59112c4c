"""Children's files: only the people responsible may see them, and every view, search and change is audited.

The timeline's entries are ``entry_routes.py``, the import pages ``import_routes.py``, the children at an activity
``activity_routes.py`` (the same blueprint)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.auth.models import User
from app.childcare.ages import age_limit, years_before
from app.childcare.attendance import missed_last_three
from app.childcare.files import KEEP, ChildData, directors_to_choose, save_child
from app.childcare.forms import (
    ChildForm,
    ProblemUpdateForm,
    VisitPolicyForm,
)
from app.childcare.history import file_history
from app.childcare.labels import SOURCE_LABELS
from app.childcare.models import (
    Child,
    ChildStatus,
    Gender,
)
from app.childcare.services import (
    mask_id_number,
    timeline,
    today,
)
from app.childcare.transfer import export_xlsx
from app.childcare.visits import (
    Policy,
    compliance_by,
    current_policy,
    groupings,
    overdue_or_due_soon,
    set_visit_policy,
)
from app.db_types import page_number, row_id
from app.directory.models import Organization, OrganizationKind, Town, Village
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.permissions import (
    Permission,
    can_assign_director,
    can_check_file,
    can_edit_child,
    can_see_full_id,
    can_view_child,
    child_scope,
    permission_required,
    searches_are_audited,
    village_scope,
)

bp = Blueprint("children", __name__, url_prefix="/children")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _child_or_404(child_id: int) -> Child:
    """The child, if in the user's scope; otherwise 404, so that guessing ids tells nothing (IDOR)."""
    child = db.session.get(Child, child_id)
    if child is None or not can_view_child(child):
        abort(404)
    return child


@bp.route("/")
@permission_required(Permission.VIEW_CHILDREN)
def index():
    """The files the user may see; a search by anyone but the children's own director is audited with its words."""
    q = request.args.get("q", "").strip()[:40]
    village_id = request.args.get("village", type=row_id)
    status = request.args.get("status", ChildStatus.ACTIVE.value)
    query = child_scope(select(Child).options(selectinload(Child.village)).order_by(Child.village_id, Child.name))
    if q:
        query = query.where(or_(Child.name.contains(q), Child.guardian_name.contains(q)))
    if village_id:
        query = query.where(Child.village_id == village_id)
    if status in {s.value for s in ChildStatus}:
        query = query.where(Child.status == ChildStatus(status))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    html = render_template(
        "children/index.html",
        missed=missed_last_three([c.id for c in page.items]),
        page=page,
        villages=_village_choices(),
        filters={"q": q, "village": village_id or 0, "status": status},
    )
    if q and searches_are_audited():
        record("child.searched", actor=current_user, where="files", q=q, count=page.total)
    else:
        record("child.list_viewed", actor=current_user, count=page.total)
    db.session.commit()  # after rendering: a commit expires the loaded rows
    return html


def _village_choices() -> list[tuple[int, str]]:
    villages = db.session.scalars(
        village_scope(select(Village).join(Village.town).where(Village.is_active)).order_by(
            Town.sort_order, Village.name_zh
        )
    )
    return [(v.id, f"{localized_name(v.town)} · {localized_name(v)}") for v in villages]


def _fill_child_choices(form: ChildForm, child: Child) -> None:
    form.village_id.choices = _village_choices()
    if child.village_id and child.village_id not in {v for v, _label in form.village_id.choices}:
        place = f"{localized_name(child.town)} · {localized_name(child.village)}"
        form.village_id.choices.append((child.village_id, place))
    schools = db.session.scalars(
        select(Organization)
        .where(
            Organization.kind == OrganizationKind.SCHOOL,
            or_(Organization.is_active, Organization.id == (child.school_id or -1)),
        )
        .order_by(Organization.name_zh)
    )
    form.school_id.choices = [(0, _("— none —"))] + [(s.id, localized_name(s)) for s in schools]
    if not can_assign_director():
        del form.director_id
        return
    directors = directors_to_choose(child)
    form.director_id.choices = [(0, _("— none —"))] + [
        (u.id, f"{u.name} ({u.login_name}) · {_(', ').join(localized_name(v) for v in u.villages)}") for u in directors
    ]


def _child_data(form: ChildForm) -> ChildData:
    director = KEEP
    if "director_id" in form and "director_id" in request.form:  # a post without the field keeps the director
        director = db.session.get(User, form.director_id.data) if form.director_id.data else None
    return ChildData(
        name=form.name.data,
        gender=Gender(form.gender.data),
        birth_date=form.birth_date.data,
        village=db.session.get(Village, form.village_id.data),
        id_number=(form.id_number.data or "").strip() or None,
        school_id=form.school_id.data or None,
        grade=form.grade.data or "",
        categories=form.categories.data or [],
        risk_flags=form.risk_flags.data or [],
        father_name=form.father_name.data or "",
        mother_name=form.mother_name.data or "",
        guardian_name=form.guardian_name.data or "",
        guardian_relation=form.guardian_relation.data or "",
        guardian_phone=form.guardian_phone.data or "",
        parents_workplace=form.parents_workplace.data or "",
        caregiver_name=form.caregiver_name.data or "",
        on_record_since=form.on_record_since.data,
        director=director,
    )


def _child_form_page(child: Child):
    """The file's form; a broken rule is shown next to its field. Opening an existing file's form is audited."""
    form = ChildForm(obj=child)
    _fill_child_choices(form, child)
    if request.method == "GET":
        if child.id is None:
            form.on_record_since.data = today()
        else:
            form.gender.data = child.gender.value
            form.school_id.data = child.school_id or 0
        if "director_id" in form:
            form.director_id.data = child.director_id or 0
    if form.validate_on_submit():
        data = _child_data(form)
        if apply(lambda: save_child(child, data, by=current_user), _("The file has been saved."), form=form):
            return redirect(url_for("children.show", child_id=child.id))
    html = render_template("children/form.html", form=form, child=child)
    if request.method == "GET" and child.id is not None:
        record("child.edit_opened", child, actor=current_user)
        db.session.commit()  # after rendering: a commit expires the loaded rows
    return html, 422 if form.errors else 200


@bp.route("/visits-due")
@permission_required(Permission.VIEW_CHILDREN)
def visits_due_view():
    """Children overdue for a contact or home visit, or due within a week, most urgent first."""
    due = overdue_or_due_soon(child_scope(select(Child).options(selectinload(Child.village))), today())
    return render_template("children/visits_due.html", due=due, today=today())


@bp.route("/compliance")
@permission_required(Permission.CHECK_FILES)
def compliance():
    """R3 compliance today: per village and child director for a supervisor, per town for the county."""
    query = child_scope(select(Child))
    day = today()
    breakdowns = groupings(current_user)
    counts = compliance_by(query, day, [(column, labels) for _title, column, labels in breakdowns])
    tables = [(title, rows) for (title, _c, _l), rows in zip(breakdowns, counts, strict=True)]
    return render_template("children/compliance.html", tables=tables, today=day)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN)
def new():
    return _child_form_page(Child())


@bp.route("/<int:child_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def edit(child_id: int):
    child = _child_or_404(child_id)
    if not can_edit_child(child):
        abort(403)
    return _child_form_page(child)


@bp.route("/<int:child_id>")
@permission_required(Permission.VIEW_CHILDREN, scope="child")
def show(child_id: int):
    child = _child_or_404(child_id)
    full_id = can_see_full_id(child)
    day = today()
    at_limit = child.status == ChildStatus.ACTIVE and child.birth_date <= years_before(day, age_limit(child.categories))
    html = render_template(
        "children/show.html",
        child=child,
        entries=timeline(child),
        history=file_history(child, full_id=full_id),
        can_edit=can_edit_child(child),
        can_check=can_check_file(child),
        id_number=child.id_number if full_id else mask_id_number(child.id_number),
        age=child.age_on(day),
        age_limit=age_limit(child.categories) if at_limit else None,
        problem_form=ProblemUpdateForm(),
        sources=SOURCE_LABELS,
    )
    record("child.viewed", child, actor=current_user)
    db.session.commit()  # after rendering: a commit expires the loaded rows
    return html


@bp.route("/export.xlsx")
@permission_required(Permission.VIEW_CHILDREN)
def export():
    """The files of one village (or all the user may see), active and closed, as XLSX; masked as the page masks
    them; audited."""
    village_id = request.args.get("village", type=row_id)
    status = request.args.get("status", "")
    query = child_scope(
        select(Child).options(
            selectinload(Child.village),
            selectinload(Child.town),
            selectinload(Child.school),
            selectinload(Child.director),
        )
    )
    if village_id:
        query = query.where(Child.village_id == village_id)
    if status in {s.value for s in ChildStatus}:
        query = query.where(Child.status == ChildStatus(status))
    children = db.session.scalars(query.order_by(Child.village_id, Child.name, Child.id)).all()
    body = export_xlsx(list(children), by=current_user, scope=f"village:{village_id}" if village_id else "all")
    db.session.commit()  # the audit entry of the export
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="children.xlsx"'})


@bp.route("/policy", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SETTINGS)
def policy():
    """The county's R3 visit policy (``set_visit_policy``; the plan's defaults until the administrator sets one)."""
    form = VisitPolicyForm(obj=current_policy())
    if form.validate_on_submit():
        values = Policy(
            contact_days=form.contact_days.data,
            home_days=form.home_days.data,
            contact_days_risk=form.contact_days_risk.data,
            home_days_risk=form.home_days_risk.data,
            problem_escalation_days=form.problem_escalation_days.data,
        )
        if apply(lambda: set_visit_policy(values, by=current_user), _("The visit policy has been saved."), form=form):
            return redirect(url_for("children.policy"))
    return render_template("children/policy.html", form=form), 422 if form.errors else 200


from app.childcare import activity_routes, entry_routes, import_routes  # noqa: E402, F401 - routes of this blueprint
