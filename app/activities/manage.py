"""What coordinators do: publish and edit their organization's activities, rosters and exports, the check-in screen."""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.activities.checkin import check_in, check_out, make_token, mark_no_show
from app.activities.forms import SHIFT_ROWS, ActivityForm, CancelForm, DuplicateForm, MinutesForm
from app.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Audience,
    Shift,
    Signup,
    SignupStatus,
    TrainingParticipant,
    service_minutes,
)
from app.activities.public import public_url
from app.activities.qr import qr_png
from app.activities.queries import organization_service_minutes, taken_places, waitlist_lengths
from app.activities.services import (
    ActivityData,
    ActivityError,
    ShiftData,
    cancel_activity,
    cancel_signup,
    complete_activity,
    create_activity,
    duplicate_activity,
    publish_activity,
    update_activity,
    waitlist_position,
)
from app.audit.services import record
from app.auth.models import Role, User
from app.childcare.attendance import children_reached
from app.directory.models import Organization, Town, Village
from app.directory.routes import town_choices
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.labels import label
from app.permissions import Permission, permission_required, require_activity_manager
from app.timeutils import SHANGHAI, local_to_utc, to_local

bp = Blueprint("manage", __name__, url_prefix="/manage")


def _own_activities_query():
    query = select(Activity).options(selectinload(Activity.shifts), selectinload(Activity.town))
    if current_user.role != Role.ADMIN:
        query = query.where(Activity.organization_id == current_user.organization_id)
    return query


@bp.route("/activities")
@permission_required(Permission.MANAGE_ACTIVITIES)
def activities():
    status = request.args.get("status", "")
    query = _own_activities_query().order_by(Activity.starts_at.desc())
    if status in {s.value for s in ActivityStatus}:
        query = query.where(Activity.status == ActivityStatus(status))
    if request.args.get("view") == "calendar":
        return _calendar_view(query)
    page = db.paginate(query, per_page=30, error_out=False)
    year_start = local_to_utc(date(to_local(datetime.now(SHANGHAI)).year, 1, 1), datetime.min.time())
    own = None if current_user.role == Role.ADMIN else current_user.organization_id
    hours = organization_service_minutes(own, since=year_start) / 60
    return render_template("manage/activities.html", page=page, status=status, hours=hours)


def _calendar_view(query):
    """A month grid (Monday first) of the organization's activities; ``?month=2026-07``."""
    try:
        first = date.fromisoformat(request.args.get("month", "") + "-01")
    except ValueError:
        first = to_local(datetime.now(SHANGHAI)).date().replace(day=1)
    last_day = month_calendar.monthrange(first.year, first.month)[1]
    start, end = (
        local_to_utc(first, datetime.min.time()),
        local_to_utc(first.replace(day=last_day), datetime.max.time()),
    )
    in_month = db.session.scalars(query.where(Activity.starts_at <= end, Activity.ends_at >= start)).all()
    by_day: dict[date, list[Activity]] = {}
    for activity in in_month:
        day = to_local(activity.starts_at).date()
        while day <= to_local(activity.ends_at).date():
            by_day.setdefault(day, []).append(activity)
            day += timedelta(days=1)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return render_template(
        "manage/calendar.html", weeks=weeks, by_day=by_day, first=first, previous=previous, following=following
    )


def _fill_choices(form: ActivityForm) -> None:
    organizations = db.session.scalars(
        select(Organization).where(Organization.is_active).order_by(Organization.sort_order, Organization.name_zh)
    ).all()
    own = [o for o in organizations if current_user.role == Role.ADMIN or o.id == current_user.organization_id]
    form.organization_id.choices = [(o.id, localized_name(o)) for o in own]
    form.coorganizer_ids.choices = [(o.id, localized_name(o)) for o in organizations]
    form.town_id.choices = town_choices(_("— county-wide —"))
    villages = db.session.scalars(
        select(Village).join(Village.town).where(Village.is_active).order_by(Town.sort_order, Village.name_zh)
    ).all()
    form.village_id.choices = [(0, _("— none —"))] + [
        (v.id, f"{localized_name(v.town)} · {localized_name(v)}") for v in villages
    ]


def _activity_data(form: ActivityForm) -> ActivityData:
    """Turn the form into service data; raises ActivityError for half-filled shift rows."""
    shifts = []
    for row in form.shifts:
        if row.form.is_blank():
            continue
        if not (row.day.data and row.start.data and row.end.data and row.capacity.data):
            raise ActivityError(
                "incomplete_shift", _("Each shift needs a date, a start, an end and a number of places.")
            )
        shifts.append(
            ShiftData(
                starts_at=local_to_utc(row.day.data, row.start.data),
                ends_at=local_to_utc(row.day.data, row.end.data),
                capacity=row.capacity.data,
                role=row.role.data or "",
                id=int(row.shift_id.data) if row.shift_id.data else None,
            )
        )
    organization = db.session.get(Organization, form.organization_id.data)
    if organization is None:
        abort(400)
    village = db.session.get(Village, form.village_id.data) if form.village_id.data else None
    if village is not None and form.town_id.data and village.town_id != form.town_id.data:
        raise ActivityError("village_town", _("The village is not in the chosen town."))
    coorganizers = list(
        db.session.scalars(select(Organization).where(Organization.id.in_(form.coorganizer_ids.data or [])))
    )
    return ActivityData(
        title=form.title.data,
        kind=ActivityKind(form.kind.data),
        organization=organization,
        shifts=shifts,
        description=form.description.data or "",
        plan_tasks=form.plan_tasks.data or None,
        safety_topics=form.safety_topics.data or [],
        audience=Audience(form.audience.data),
        town_id=form.town_id.data or (village.town_id if village else None),
        village_id=village.id if village else None,
        venue=form.venue.data or "",
        expected_children=form.expected_children.data or 0,
        coorganizers=coorganizers,
    )


def _load_form(form: ActivityForm, activity: Activity) -> None:
    form.kind.data = activity.kind.value
    form.audience.data = activity.audience.value
    form.organization_id.data = activity.organization_id
    form.town_id.data = activity.town_id or 0
    form.village_id.data = activity.village_id or 0
    form.plan_tasks.data = list(activity.plan_tasks)
    form.safety_topics.data = list(activity.safety_topics)
    form.coorganizer_ids.data = [o.id for o in activity.coorganizers]
    while len(form.shifts) > 0:
        form.shifts.pop_entry()
    for shift in activity.shifts:
        start, end = to_local(shift.starts_at), to_local(shift.ends_at)
        form.shifts.append_entry(
            {
                "shift_id": str(shift.id),
                "day": start.date(),
                "start": start.time(),
                "end": end.time(),
                "capacity": shift.capacity,
                "role": shift.role,
            }
        )
    while len(form.shifts) < max(SHIFT_ROWS, len(activity.shifts) + 1):
        form.shifts.append_entry()


@bp.route("/activities/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES)
def new_activity():
    form = ActivityForm()
    _fill_choices(form)
    if request.method == "GET":
        form.organization_id.data = current_user.organization_id
        form.kind.data = request.args.get("kind", ActivityKind.HOLIDAY_CARE.value)
    if form.validate_on_submit():
        try:
            created = create_activity(_activity_data(form), by=current_user, repeat_weeks=form.repeat_weeks.data or 1)
        except ActivityError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Saved as a draft: %(n)d activity(ies). Check it, then publish.", n=len(created)), "success")
            return redirect(url_for("manage.activity", activity_id=created[0].id))
    return render_template("manage/form.html", form=form, activity=None), 422 if form.errors else 200


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def edit_activity(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    require_activity_manager(activity)
    form = ActivityForm(obj=activity)
    _fill_choices(form)
    if request.method == "GET":
        _load_form(form, activity)
    if form.validate_on_submit():
        try:
            data = _activity_data(form)
            if current_user.role != Role.ADMIN:
                data.organization = activity.organization
            update_activity(activity, data, by=current_user)
        except ActivityError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("manage.activity", activity_id=activity.id))
    return render_template("manage/form.html", form=form, activity=activity), 422 if form.errors else 200


@bp.route("/activities/<int:activity_id>")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def activity(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    require_activity_manager(activity)
    shift_ids = [s.id for s in activity.shifts]
    rosters = {
        s.id: db.session.scalars(
            select(Signup)
            .options(selectinload(Signup.user))
            .where(Signup.shift_id == s.id)
            .order_by(Signup.status, Signup.queued_at, Signup.id)
        ).all()
        for s in activity.shifts
    }
    return render_template(
        "manage/activity.html",
        activity=activity,
        rosters=rosters,
        taken=taken_places(shift_ids),
        waiting=waitlist_lengths(shift_ids),
        cancel_form=CancelForm(),
        duplicate_form=DuplicateForm(),
        short_url=public_url("activities.detail", code=activity.code),
        minutes=service_minutes,
        reached=children_reached([activity.id]).get(activity.id, 0),
    )


def _lifecycle(activity_id: int, operation, success: str, **kwargs):
    activity = db.get_or_404(Activity, activity_id)
    require_activity_manager(activity)
    apply(lambda: operation(activity, by=current_user, **kwargs), success)
    return redirect(url_for("manage.activity", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/publish", methods=["POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def publish(activity_id: int):
    return _lifecycle(activity_id, publish_activity, _("Published: volunteers can now sign up."))


@bp.route("/activities/<int:activity_id>/complete", methods=["POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def complete(activity_id: int):
    return _lifecycle(activity_id, complete_activity, _("Marked as completed."))


@bp.route("/activities/<int:activity_id>/cancel", methods=["POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def cancel(activity_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        activity = db.get_or_404(Activity, activity_id)
        require_activity_manager(activity)
        flash(_("Please give a reason for the cancellation."), "error")
        return redirect(url_for("manage.activity", activity_id=activity_id))
    return _lifecycle(
        activity_id,
        cancel_activity,
        _("The activity has been cancelled; volunteers will see it."),
        reason=form.reason.data,
    )


@bp.route("/activities/<int:activity_id>/duplicate", methods=["POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def duplicate(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    require_activity_manager(activity)
    form = DuplicateForm()
    if not form.validate_on_submit():
        flash(_("Please choose a valid date."), "error")
        return redirect(url_for("manage.activity", activity_id=activity_id))
    first = to_local(activity.shifts[0].starts_at)
    offset = local_to_utc(form.first_day.data, first.time()) - activity.shifts[0].starts_at
    copy = duplicate_activity(activity, shift_by=offset, by=current_user)
    db.session.commit()
    flash(_("A draft copy has been made. Check it, then publish."), "success")
    return redirect(url_for("manage.edit_activity", activity_id=copy.id))


def _shift_for_manager(shift_id: int) -> Shift:
    shift = db.get_or_404(Shift, shift_id)
    require_activity_manager(shift.activity)
    return shift


ROSTER_HEADERS = ["序号", "姓名", "手机号", "状态", "候补顺序", "签到时间", "签退时间", "服务时长（分钟）"]


def _roster_rows(shift: Shift) -> list[list]:
    rows = []
    signups = db.session.scalars(
        select(Signup)
        .options(selectinload(Signup.user))
        .where(Signup.shift_id == shift.id, Signup.status != SignupStatus.CANCELLED)
        .order_by(Signup.status, Signup.queued_at, Signup.id)
    ).all()
    fmt = "%Y-%m-%d %H:%M"
    for number, signup in enumerate(signups, start=1):
        rows.append(
            [
                number,
                signup.user.name,
                signup.user.phone or "",
                label(signup.status),
                waitlist_position(signup) or "",
                to_local(signup.checked_in_at).strftime(fmt) if signup.checked_in_at else "",
                to_local(signup.checked_out_at).strftime(fmt) if signup.checked_out_at else "",
                service_minutes(signup),
            ]
        )
    return rows


@bp.route("/shifts/<int:shift_id>/roster.<fmt>")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def roster_export(shift_id: int, fmt: str):
    shift = _shift_for_manager(shift_id)
    rows = _roster_rows(shift)
    name = f"roster-{shift.activity.code}-{shift.id}"
    record("roster.exported", shift, actor=current_user, format=fmt)
    db.session.commit()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(ROSTER_HEADERS)
        writer.writerows(rows)
        # A BOM so that Excel on Chinese Windows opens the UTF-8 file with the right characters.
        return Response(
            "\ufeff" + buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "名单"
        start = to_local(shift.starts_at)
        sheet.append([f"{shift.activity.title} {start:%Y-%m-%d %H:%M}–{to_local(shift.ends_at):%H:%M} {shift.role}"])
        sheet.append(ROSTER_HEADERS)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A3"
        for column, width in zip("ABCDEFGH", (6, 14, 14, 10, 10, 18, 18, 14), strict=True):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    abort(404)


@bp.route("/shifts/<int:shift_id>/checkin")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def checkin_screen(shift_id: int):
    """The coordinator's screen at the venue: a fresh check-in QR (the page reloads itself) and the roster."""
    shift = _shift_for_manager(shift_id)
    token = make_token(shift)
    signups = db.session.scalars(
        select(Signup)
        .options(selectinload(Signup.user))
        .where(Signup.shift_id == shift.id, Signup.status == SignupStatus.CONFIRMED)
        .order_by(Signup.queued_at)
    ).all()
    return render_template(
        "manage/checkin.html",
        shift=shift,
        token=token,
        signups=signups,
        minutes=service_minutes,
        checkin_url=public_url("activities.checkin", shift_id=shift.id, token=token),
        minutes_form=MinutesForm(),
    )


@bp.route("/shifts/<int:shift_id>/checkin-qr/<token>.png")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def checkin_qr(shift_id: int, token: str):
    shift = _shift_for_manager(shift_id)
    return Response(
        qr_png(public_url("activities.checkin", shift_id=shift.id, token=token)),
        mimetype="image/png",
        headers={"Cache-Control": "private, no-store"},
    )


@bp.route("/signups/<int:signup_id>/<action>", methods=["POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_signup")
def signup_action(signup_id: int, action: str):
    """Check in or out by hand, mark a no-show, correct the minutes, or take someone off the roster."""
    signup = db.get_or_404(Signup, signup_id)
    require_activity_manager(signup.shift.activity)
    try:
        if action == "checkin":
            check_in(signup.shift, signup.user, by=current_user)
        elif action == "checkout":
            check_out(signup, by=current_user)
        elif action == "noshow":
            mark_no_show(signup, by=current_user)
        elif action == "minutes":
            form = MinutesForm()
            if not form.validate_on_submit():
                raise ActivityError("bad_minutes", _("Please enter the minutes as a number from 0 to 1440."))
            signup.minutes_override = form.minutes.data
            record("signup.minutes_corrected", signup, actor=current_user, minutes=form.minutes.data)
        elif action == "cancel":
            cancel_signup(signup, by=current_user)
        else:
            abort(404)
    except ActivityError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(request.form.get("back") or url_for("manage.checkin_screen", shift_id=signup.shift_id))


@bp.route("/activities/<int:activity_id>/participants", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def training_participants(activity_id: int):
    """For a child director training: tick the child directors who took part (they count as trained, R6)."""
    activity = db.get_or_404(Activity, activity_id)
    require_activity_manager(activity)
    if activity.kind != ActivityKind.DIRECTOR_TRAINING:
        abort(404)
    directors = db.session.scalars(
        select(User).where(User.role == Role.CHILD_DIRECTOR, User.is_active).order_by(User.name)
    ).all()
    chosen = set(
        db.session.scalars(select(TrainingParticipant.user_id).where(TrainingParticipant.activity_id == activity.id))
    )
    if request.method == "POST":
        wanted = {int(v) for v in request.form.getlist("director_ids") if v.isdigit()} & {d.id for d in directors}
        db.session.execute(
            delete(TrainingParticipant).where(
                TrainingParticipant.activity_id == activity.id, TrainingParticipant.user_id.not_in(wanted)
            )
        )
        for user_id in wanted - chosen:
            db.session.add(TrainingParticipant(activity_id=activity.id, user_id=user_id))
        record("training.participants", activity, actor=current_user, count=len(wanted))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("manage.training_participants", activity_id=activity.id))
    return render_template("manage/participants.html", activity=activity, directors=directors, chosen=chosen)
