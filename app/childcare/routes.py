"""Children's files: only the people responsible may see them, and every view and change is audited."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.activities.models import Activity
from app.audit.services import record
from app.auth.models import User
from app.childcare.attendance import (
    mark_attendance,
    missed_last_three,
    register_child,
    remove_attendance,
)
from app.childcare.forms import (
    CareActionForm,
    ChildForm,
    ChildImportForm,
    CloseForm,
    FileCheckForm,
    ProblemForm,
    ProblemUpdateForm,
    VisitForm,
    VisitPolicyForm,
    WorkLogForm,
)
from app.childcare.models import (
    ActivityRegistration,
    Attendance,
    CareKind,
    CheckLevel,
    Child,
    ChildStatus,
    CloseReason,
    Gender,
    Problem,
    ProblemStatus,
    VisitKind,
    VisitPolicy,
)
from app.childcare.services import (
    ChildData,
    ChildError,
    add_care_action,
    add_work_log,
    close_file,
    mask_id_number,
    mask_name,
    raise_problem,
    record_file_check,
    record_visit,
    save_child,
    timeline,
    today,
    update_problem,
)
from app.childcare.transfer import count_rows, export_xlsx, import_children, import_children_steps, template_xlsx
from app.childcare.visits import compliance_by, current_policy, groupings, overdue_or_due_soon
from app.db_types import row_id, utcnow
from app.directory.models import Organization, OrganizationKind, Town, Village
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.permissions import (
    Permission,
    can,
    can_check_file,
    can_edit_child,
    can_mark_attendance,
    can_see_full_id,
    can_view_child,
    child_scope,
    permission_required,
    scoped,
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
    q = request.args.get("q", "").strip()
    village_id = request.args.get("village", type=row_id)
    status = request.args.get("status", ChildStatus.ACTIVE.value)
    query = child_scope(select(Child).options(selectinload(Child.village)).order_by(Child.village_id, Child.name))
    if q:
        query = query.where(or_(Child.name.contains(q), Child.guardian_name.contains(q)))
    if village_id:
        query = query.where(Child.village_id == village_id)
    if status in {s.value for s in ChildStatus}:
        query = query.where(Child.status == ChildStatus(status))
    page = db.paginate(query, per_page=50, error_out=False)
    html = render_template(
        "children/index.html",
        missed=missed_last_three([c.id for c in page.items]),
        page=page,
        villages=_village_choices(),
        filters={"q": q, "village": village_id or 0, "status": status},
    )
    record("child.list_viewed", actor=current_user, count=page.total)
    db.session.commit()  # after rendering: a commit expires the loaded rows
    return html


def _village_choices() -> list[tuple[int, str]]:
    villages = db.session.scalars(
        child_scope_villages(select(Village).join(Village.town).where(Village.is_active)).order_by(
            Town.sort_order, Village.name_zh
        )
    )
    return [(v.id, f"{localized_name(v.town)} · {localized_name(v)}") for v in villages]


def child_scope_villages(query):
    """The villages whose children the user may see (the same rule as ``child_scope``)."""
    from app.auth.models import Role

    if current_user.role == Role.ADMIN:
        return query
    if current_user.role == Role.TOWN_SUPERVISOR:
        return query.where(Village.town_id == current_user.town_id)
    return query.where(Village.id.in_([v.id for v in current_user.villages]))


def _fill_child_choices(form: ChildForm) -> None:
    form.village_id.choices = _village_choices()
    schools = db.session.scalars(
        select(Organization)
        .where(Organization.kind == OrganizationKind.SCHOOL, Organization.is_active)
        .order_by(Organization.name_zh)
    )
    form.school_id.choices = [(0, _("— none —"))] + [(s.id, localized_name(s)) for s in schools]


def _child_data(form: ChildForm) -> ChildData:
    village = db.session.get(Village, form.village_id.data)
    if village is None or form.village_id.data not in {v for v, _label in form.village_id.choices}:
        abort(400)
    return ChildData(
        name=form.name.data,
        gender=Gender(form.gender.data),
        birth_date=form.birth_date.data,
        village=village,
        id_number=form.id_number.data or None,
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
        director_id=current_user.id if current_user.role.value == "child_director" else None,
    )


def _child_form_page(child: Child):
    form = ChildForm(obj=child)
    _fill_child_choices(form)
    if request.method == "GET" and child.id is not None:
        form.gender.data = child.gender.value
        form.school_id.data = child.school_id or 0
    if form.validate_on_submit():
        try:
            data = _child_data(form)
            if child.id is not None and child.director_id:
                data.director_id = child.director_id
            save_child(child, data, by=current_user)
        except ChildError as error:
            db.session.rollback()
            target = form.id_number if "id" in error.code else form.birth_date
            target.errors = [*target.errors, error.message]
        else:
            db.session.commit()
            flash(_("The file has been saved."), "success")
            return redirect(url_for("children.show", child_id=child.id))
    return render_template("children/form.html", form=form, child=child), 422 if form.errors else 200


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
    html = render_template(
        "children/show.html",
        child=child,
        entries=timeline(child),
        can_edit=can_edit_child(child),
        can_check=can_check_file(child),
        id_number=child.id_number if full_id else mask_id_number(child.id_number),
        age=child.age_on(today()),
        close_form=CloseForm(),
        problem_form=ProblemUpdateForm(),
    )
    record("child.viewed", child, actor=current_user)
    db.session.commit()  # after rendering: a commit expires the loaded rows
    return html


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
    if form.validate_on_submit() and apply(lambda: _save_entry(child, kind, form), _("Saved to the file.")):
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
            by=current_user,
        )
        if (form.problem.data or "").strip():
            raise_problem(child, description=form.problem.data, found_on=form.visited_on.data, by=current_user)
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


@bp.route("/<int:child_id>/close", methods=["POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def close(child_id: int):
    child = _child_or_404(child_id)
    if not can_edit_child(child):
        abort(403)
    form = CloseForm()
    if form.validate_on_submit():
        close_file(child, CloseReason(form.reason.data), by=current_user)
        db.session.commit()
        flash(_("The file has been closed."), "success")
    return redirect(url_for("children.show", child_id=child.id))


@bp.route("/activity/<int:activity_id>", methods=["GET", "POST"])
@scoped("activity_children")
def activity_children(activity_id: int):
    """Children at an activity: directors register theirs beforehand, coordinators and directors mark attendance.

    Outside the file a child shows only as a masked name, village and age (R9).
    """
    activity = db.get_or_404(Activity, activity_id)
    may_mark = can_mark_attendance(activity, current_user)
    may_register = current_user.role.value in ("child_director", "admin") and can(Permission.VIEW_CHILDREN)
    if not (may_mark or may_register):
        abort(403)
    if request.method == "POST":
        _activity_children_action(activity, may_mark, may_register)
        return redirect(url_for("children.activity_children", activity_id=activity.id, q=request.args.get("q", "")))
    q = request.args.get("q", "").strip()
    attended = db.session.scalars(
        select(Attendance).options(selectinload(Attendance.child)).where(Attendance.activity_id == activity.id)
    ).all()
    registered = db.session.scalars(
        select(ActivityRegistration)
        .options(selectinload(ActivityRegistration.child))
        .where(ActivityRegistration.activity_id == activity.id)
    ).all()
    found = []
    if q and may_mark:
        query = select(Child).where(Child.status == ChildStatus.ACTIVE, Child.name.contains(q))
        if activity.town_id:
            query = query.where(Child.town_id == activity.town_id)
        found = db.session.scalars(query.options(selectinload(Child.village)).order_by(Child.name).limit(30)).all()
    mine = []
    if may_register:
        taken = {r.child_id for r in registered}
        mine = [
            c
            for c in db.session.scalars(child_scope(select(Child).where(Child.status == ChildStatus.ACTIVE)))
            if c.id not in taken
        ]
    return render_template(
        "children/activity.html",
        activity=activity,
        attended=attended,
        registered=registered,
        found=found,
        mine=mine,
        q=q,
        may_mark=may_mark,
        may_register=may_register,
        started=activity.starts_at <= utcnow(),
        mask=mask_name,
        today=today(),
    )


def _activity_children_action(activity: Activity, may_mark: bool, may_register: bool) -> None:
    """Remove an attendance, mark one, or register a child, as the form asks and the user may."""
    action = request.form.get("action")
    if action == "remove" and may_mark:
        attendance = db.session.get(Attendance, request.form.get("attendance_id", type=row_id))
        if attendance is None or attendance.activity_id != activity.id:
            abort(404)
        apply(lambda: remove_attendance(attendance, by=current_user), _("Saved."))
        return
    child = db.session.get(Child, request.form.get("child_id", type=row_id))
    if child is None:
        abort(404)
    if action == "attend" and may_mark:
        concern = request.form.get("concern", "")[:2000]
        apply(lambda: mark_attendance(activity, child, by=current_user, concern=concern), _("Saved."))
    elif action == "register" and may_register:
        apply(lambda: register_child(activity, child, by=current_user), _("Saved."))
    else:
        abort(403)


@bp.route("/import/template.xlsx")
@permission_required(Permission.EDIT_CHILDREN)
def import_template():
    return Response(
        template_xlsx(), mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="children-template.xlsx"'}
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN)
def import_view():
    """Upload children's files (XLSX or CSV, the template's columns): every row valid, or nothing is saved."""
    form = ChildImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        raw, filename = upload.read(), upload.filename or ""
        if count_rows(raw, filename) > LARGE_IMPORT:
            return Response(stream_with_context(_import_with_progress(raw, filename)), mimetype="text/html")
        result = import_children(raw, filename, by=current_user)
        if result.errors:
            db.session.rollback()
            flash(_("Nothing was imported: please correct the rows listed below and upload the file again."), "error")
        else:
            db.session.commit()
            flash(
                _("Imported: %(created)d added, %(updated)d updated.", created=result.created, updated=result.updated),
                "success",
            )
    status = 422 if result and result.errors else 200
    return render_template("children/import.html", form=form, result=result), status


LARGE_IMPORT = 500


def _import_with_progress(raw: bytes, filename: str):
    """A large import streams its page: progress lines appear as rows are checked and saved (no script needed)."""
    template = current_app.jinja_env.get_template("children/import_progress.html")
    yield template.module.head()
    # A streamed body runs after the view returned: load the user into the session that is current now.
    user = db.session.get(User, current_user.id)
    steps = import_children_steps(raw, filename, by=user)
    while True:
        try:
            phase, done, total = next(steps)
        except StopIteration as finished:
            result = finished.value
            break
        yield template.module.progress(phase, done, total)
    if result.errors:
        db.session.rollback()
    else:
        db.session.commit()
    yield template.module.result(result)


@bp.route("/export.xlsx")
@permission_required(Permission.VIEW_CHILDREN)
def export():
    """The files of one village (or all the user may see) as XLSX; audited."""
    village_id = request.args.get("village", type=row_id)
    query = child_scope(select(Child).options(selectinload(Child.village), selectinload(Child.town)))
    if village_id:
        query = query.where(Child.village_id == village_id)
    children = db.session.scalars(
        query.where(Child.status == ChildStatus.ACTIVE).order_by(Child.village_id, Child.name)
    ).all()
    body = export_xlsx(list(children), by=current_user, scope=f"village:{village_id}" if village_id else "all")
    db.session.commit()
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="children.xlsx"'})


@bp.route("/policy", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SETTINGS)
def policy():
    """The county's R3 visit intervals (the plan's defaults: weekly contact, monthly home visit, fortnightly with a
    risk flag)."""
    contact, home, home_risk = current_policy()
    form = VisitPolicyForm(data={"contact_days": contact, "home_days": home, "home_days_risk": home_risk})
    if form.validate_on_submit():
        db.session.add(
            VisitPolicy(
                contact_days=form.contact_days.data,
                home_days=form.home_days.data,
                home_days_risk=form.home_days_risk.data,
                updated_by_id=current_user.id,
            )
        )
        record(
            "settings.visit_policy",
            actor=current_user,
            contact=form.contact_days.data,
            home=form.home_days.data,
            home_risk=form.home_days_risk.data,
        )
        db.session.commit()
        flash(_("The visit policy has been saved."), "success")
        return redirect(url_for("children.policy"))
    return render_template("children/policy.html", form=form)
