"""The scans behind the periodic messages: each takes ``now`` (so a test chooses it), creates the messages due then
through ``notify`` (whose unique key makes a scan run twice create each message once) and flushes; the periodic job
that calls it commits (``app.notifications.tasks``). Days are Beijing days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.activities.models import Activity, ActivityStatus, Shift, Signup, SignupStatus
from app.auth.models import Role, User
from app.directory.models import Organization, Town
from app.extensions import db
from app.notifications.kinds import shift_params
from app.notifications.links import CANCEL, COME, answer_path
from app.notifications.models import Message
from app.notifications.services import admins, notify
from app.timeutils import local_day_start, to_local

DAY_BEFORE = (timedelta(hours=20), timedelta(hours=28))
TWO_HOURS = timedelta(hours=2, minutes=15)
SCREENING_NOTICE_DAYS = 30
PROGRESS_REMINDER_DAYS = ((10, 1), (10, 25))  # (month, day), Beijing


def _staff(role: Role, *conditions) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == role, User.is_active.is_(True), User.anonymised_at.is_(None), *conditions)
            .order_by(User.id)
        )
    )


def coordinators_of(organization_id: int) -> list[User]:
    return _staff(Role.COORDINATOR, User.organization_id == organization_id)


# --- volunteers ---------------------------------------------------------------------------------------------------


def _confirmed_starting(start: datetime, end: datetime, occasion: str) -> list[Signup]:
    """Confirmed sign-ups of published activities whose shift starts in (start, end], not yet reminded for
    ``occasion`` (so a scan every five minutes reads only the new ones)."""
    reminded = (
        select(Message.id)
        .where(
            Message.kind == "shift_reminder",
            Message.object_type == Signup.__tablename__,
            Message.object_id == Signup.id,
            Message.occasion == occasion,
        )
        .exists()
    )
    return list(
        db.session.scalars(
            select(Signup)
            .join(Shift, Shift.id == Signup.shift_id)
            .join(Activity, Activity.id == Shift.activity_id)
            .where(
                Signup.status == SignupStatus.CONFIRMED,
                Activity.status == ActivityStatus.PUBLISHED,
                Shift.starts_at > start,
                Shift.starts_at <= end,
                ~reminded,
            )
            .options(selectinload(Signup.user), selectinload(Signup.shift).selectinload(Shift.activity))
            .order_by(Signup.id)
        )
    )


def scan_reminders(now: datetime) -> int:
    """Remind confirmed volunteers of a shift that starts in 20 to 28 hours ("day_before") or within 2 h 15 min
    ("two_hours"), with the "I'll come" / "I can't come" links. Not urgent: the quiet hours hold an SMS."""
    created = 0
    for occasion, start, end in (
        ("day_before", now + DAY_BEFORE[0], now + DAY_BEFORE[1]),
        ("two_hours", now, now + TWO_HOURS),
    ):
        for signup in _confirmed_starting(start, end, occasion):
            params = shift_params(
                signup.shift, occasion=occasion, come=answer_path(signup, COME), cancel=answer_path(signup, CANCEL)
            )
            created += notify("shift_reminder", signup.user, about=signup, occasion=occasion, params=params) is not None
    return created


# --- coordinators -------------------------------------------------------------------------------------------------


def scan_shifts_tomorrow(now: datetime) -> int:
    """Each coordinator of an organization with shifts tomorrow: filled / capacity, waitlisted, cancelled."""
    tomorrow = to_local(now).date() + timedelta(days=1)
    shifts = list(
        db.session.scalars(
            select(Shift)
            .join(Activity, Activity.id == Shift.activity_id)
            .where(
                Activity.status == ActivityStatus.PUBLISHED,
                Shift.starts_at >= local_day_start(tomorrow),
                Shift.starts_at < local_day_start(tomorrow + timedelta(days=1)),
            )
            .options(selectinload(Shift.activity))
            .order_by(Shift.starts_at, Shift.id)
        )
    )
    if not shifts:
        return 0
    rows = db.session.execute(
        select(Signup.shift_id, Signup.status, func.count(Signup.id))
        .where(Signup.shift_id.in_([s.id for s in shifts]))
        .group_by(Signup.shift_id, Signup.status)
    )
    tally = {(shift_id, status): n for shift_id, status, n in rows}
    by_organization: dict[int, list[dict]] = {}
    for shift in shifts:
        by_organization.setdefault(shift.activity.organization_id, []).append(
            shift_params(
                shift,
                capacity=shift.capacity,
                taken=tally.get((shift.id, SignupStatus.CONFIRMED), 0),
                waiting=tally.get((shift.id, SignupStatus.WAITLISTED), 0),
                cancelled=tally.get((shift.id, SignupStatus.CANCELLED), 0),
            )
        )
    created = 0
    for organization_id, rows in by_organization.items():
        organization = db.session.get(Organization, organization_id)
        for coordinator in coordinators_of(organization_id):
            params = {"day": tomorrow.isoformat(), "shifts": rows}
            created += (
                notify("shifts_tomorrow", coordinator, about=organization, occasion=tomorrow.isoformat(), params=params)
                is not None
            )
    return created


def scan_activities_to_close(now: datetime) -> int:
    """Each coordinator whose organization has activities that ended but are still open: once a day."""
    from app.main.worklists import ended_not_closed

    day = to_local(now).date().isoformat()
    created = 0
    for coordinator in _staff(Role.COORDINATOR, User.organization_id.is_not(None)):
        ended = ended_not_closed(coordinator, now, limit=5)
        if ended.total:
            params = {"total": ended.total, "titles": [activity.title for activity in ended.items]}
            created += notify("activities_to_close", coordinator, occasion=day, params=params) is not None
    return created


def scan_screenings_expiring(now: datetime) -> int:
    """Mentors whose screening expires within 30 days: the coordinators of the organization that screened them,
    once per expiry date."""
    today = to_local(now).date()
    mentors = db.session.scalars(
        select(User).where(
            User.screened_by_id.is_not(None),
            User.screened_until >= today,
            User.screened_until <= today + timedelta(days=SCREENING_NOTICE_DAYS),
            User.is_active.is_(True),
            User.anonymised_at.is_(None),
        )
    ).all()
    created = 0
    for mentor in mentors:
        params = {"name": mentor.display_name, "until": mentor.screened_until.isoformat()}
        for coordinator in coordinators_of(mentor.screened_by_id):
            created += (
                notify(
                    "screening_expiring",
                    coordinator,
                    about=mentor,
                    occasion=mentor.screened_until.isoformat(),
                    params=params,
                )
                is not None
            )
    return created


# --- child directors and supervisors ------------------------------------------------------------------------------


def scan_visits_digest(now: datetime) -> int:
    """Monday's digest for each child director: how many visits are overdue and due within a week (no names: it
    goes by e-mail; the visits page lists them)."""
    from app.main.worklists import visits

    today = to_local(now).date()
    week = (today - timedelta(days=today.weekday())).isoformat()
    created = 0
    for director in _staff(Role.CHILD_DIRECTOR):
        due = visits(director, today)
        if due.total:
            params = {"overdue": due.overdue.total, "due": due.due_soon.total}
            created += notify("visits_digest", director, occasion=week, params=params) is not None
    return created


def scan_escalated(now: datetime) -> int:
    """Each town supervisor with problems of their town unresolved past the escalation days: once a day."""
    from app.main.worklists import escalated, escalation_days

    today = to_local(now).date()
    days = escalation_days()
    created = 0
    for supervisor in _staff(Role.TOWN_SUPERVISOR, User.town_id.is_not(None)):
        late = escalated(supervisor, today, days=days, limit=0)
        if late.total:
            params = {"total": late.total, "days": days}
            created += notify("problems_escalated", supervisor, occasion=today.isoformat(), params=params) is not None
    return created


# --- the administrator --------------------------------------------------------------------------------------------


def towns_without_report(year: int) -> list[Town]:
    from app.reports.models import ProgressReport

    submitted = select(ProgressReport.town_id).where(
        ProgressReport.year == year, ProgressReport.submitted_at.is_not(None)
    )
    query = select(Town).where(Town.is_active.is_(True), Town.id.not_in(submitted))
    return list(db.session.scalars(query.order_by(Town.sort_order, Town.id)))


def scan_progress_reports(now: datetime) -> int:
    """On 1 and 25 October (Beijing), the administrators hear which towns have not submitted the year's report."""
    from app.reports.models import ProgressReport

    today = to_local(now).date()
    if (today.month, today.day) not in PROGRESS_REMINDER_DAYS:
        return 0
    towns = towns_without_report(today.year)
    if not towns:
        return 0
    params = {
        "year": today.year,
        "deadline": ProgressReport(year=today.year).deadline.isoformat(),
        "towns": [{"zh": town.name_zh, "en": town.name_en or town.name_zh} for town in towns],
    }
    return sum(
        notify("progress_reports_due", admin, occasion=today.isoformat(), params=params) is not None
        for admin in admins()
    )
