"""What coordinators do: publish, edit, close and copy their organization's activities (per-shift pages: see
``manage_shifts``)."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.activities.confirm import activity_cancel_question
from app.activities.forms import SHIFT_ROWS, ActivityForm, CancelForm, DuplicateForm
from app.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Audience,
    Signup,
    service_minutes,
)
from app.activities.queries import organization_service_minutes, taken_places, waitlist_lengths
from app.activities.services import (
    ActivityData,
    ActivityError,
    ShiftData,
    cancel_activity,
    complete_activity,
    create_activity,
    duplicate_activity,
    publish_activity,
    update_activity,
)
from app.childcare.attendance import children_reached
from app.confirm import ask
from app.db_types import page_number
from app.directory.models import Organization, Town, Village
from app.directory.routes import town_choices
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.permissions import Permission, is_admin, permission_required
from app.timeutils import SHANGHAI, local_to_utc, to_local
from app.urls import public_url

bp = Blueprint("manage", __name__, url_prefix="/manage")


def _own_activities_query():
    query = select(Activity).options(selectinload(Activity.shifts), selectinload(Activity.town))
    if not is_admin():
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
    page = db.paginate(query, page=page_number(), per_page=30, error_out=False)
    year_start = local_to_utc(date(to_local(datetime.now(SHANGHAI)).year, 1, 1), datetime.min.time())
    own = None if is_admin() else current_user.organization_id
    hours = organization_service_minutes(own, since=year_start) / 60
    return render_template(
        "manage/activities.html", page=page, status=status, hours=hours, statuses=list(ActivityStatus)
    )


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
    own = [o for o in organizations if is_admin() or o.id == current_user.organization_id]
    form.organization_id.choices = [(o.id, localized_name(o)) for o in own]
    form.coorganizer_ids.choices = [(o.id, localized_name(o)) for o in organizations]
    form.town_id.choices = town_choices(_("— county-wide —"))
    villages = db.session.scalars(
        select(Village).join(Village.town).where(Village.is_active).order_by(Town.sort_order, Village.name_zh)
    ).all()
    form.village_id.choices = [(0, _("— none —"))] + [
        (v.id, f"{localized_name(v.town)} · {localized_name(v)}") for v in villages
    ]
    form.village_towns = {v.id: v.town_id for v in villages}


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
        map_url=form.map_url.data or "",
        what_to_bring=form.what_to_bring.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        is_contact_on_poster=form.is_contact_on_poster.data,
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
    created = []
    if form.validate_on_submit() and apply(
        lambda: created.extend(
            create_activity(_activity_data(form), by=current_user, repeat_weeks=form.repeat_weeks.data or 1)
        ),
        lambda: _("Saved as a draft: %(n)d activity(ies). Check it, then publish.", n=len(created)),
    ):
        return redirect(url_for("manage.activity", activity_id=created[0].id))
    return render_template("manage/form.html", form=form, activity=None), 422 if form.errors else 200


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def edit_activity(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    form = ActivityForm(obj=activity)
    _fill_choices(form)
    if request.method == "GET":
        _load_form(form, activity)

    def operation() -> None:
        data = _activity_data(form)
        if not is_admin():  # a coordinator's activity stays with their own organization
            data.organization = activity.organization
        update_activity(activity, data, by=current_user)

    if form.validate_on_submit() and apply(operation, _("The activity has been saved.")):
        return redirect(url_for("manage.activity", activity_id=activity.id))
    return render_template("manage/form.html", form=form, activity=activity), 422 if form.errors else 200


@bp.route("/activities/<int:activity_id>")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def activity(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
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
        duplicate_form=DuplicateForm(),
        short_url=public_url("activities.detail", code=activity.code),
        minutes=service_minutes,
        reached=children_reached([activity.id]).get(activity.id, 0),
    )


def _lifecycle(activity_id: int, operation, success: str, **kwargs):
    activity = db.get_or_404(Activity, activity_id)
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


@bp.route("/activities/<int:activity_id>/cancel", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def cancel(activity_id: int):
    """GET asks first (how many shifts and volunteers it reaches) and takes the reason; POST cancels."""
    activity = db.get_or_404(Activity, activity_id)
    form = CancelForm()
    if request.method == "GET" or not form.validate_on_submit():
        if activity.is_closed:
            return redirect(url_for("manage.activity", activity_id=activity.id))
        return ask(activity_cancel_question(activity, form), 200 if request.method == "GET" else 422)
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
    form = DuplicateForm()
    if not form.validate_on_submit():
        flash(_("Please choose a valid date."), "error")
        return redirect(url_for("manage.activity", activity_id=activity_id))
    first = to_local(activity.shifts[0].starts_at)
    offset = local_to_utc(form.first_day.data, first.time()) - activity.shifts[0].starts_at
    copies = []
    if apply(
        lambda: copies.append(duplicate_activity(activity, shift_by=offset, by=current_user)),
        _("A draft copy has been made. Check it, then publish."),
    ):
        return redirect(url_for("manage.edit_activity", activity_id=copies[0].id))
    return redirect(url_for("manage.activity", activity_id=activity_id))


# Shifts, rosters, check-in and training participants, and messages to the volunteers: their own modules, on this
# blueprint (they need ``bp``).
from app.activities import manage_broadcast, manage_shifts  # noqa: E402, F401
