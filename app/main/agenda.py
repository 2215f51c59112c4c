"""What is coming and what is late, for the top of the home pages (``app.main.worklists`` has the problems, visits
and activities to close): a coordinator's shifts of today and tomorrow and their waitlists, a child director's
children registered for upcoming activities, a supervisor's R3 figure for their town, the county's late progress
reports and failed messages. Each is scoped like the worklists and costs a fixed number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from app.activities.models import Activity, ActivityStatus, Shift, Signup, SignupStatus
from app.auth.models import User
from app.childcare.models import ActivityRegistration, Child, ChildStatus
from app.directory.models import Town
from app.extensions import db
from app.main.worklists import CAP, Capped
from app.notifications.models import Delivery, DeliveryStatus
from app.permissions import child_scope, organization_scope
from app.reports.models import DEADLINE, ProgressReport
from app.reports.visit_rules import Shares, child_shares
from app.timeutils import local_day_start


@dataclass
class ShiftItem:
    """A shift of the coordinator's organization with its confirmed and waitlisted counts."""

    shift: Shift
    confirmed: int
    waiting: int

    @property
    def activity(self) -> Activity:
        return self.shift.activity


def _counted_shifts(query) -> list[ShiftItem]:
    """``query`` (a ``select(Shift)`` joined to its activity) with each shift's confirmed and waitlisted sign-ups:
    two statements."""
    shifts = list(
        db.session.scalars(
            query.options(contains_eager(Shift.activity).selectinload(Activity.town)).order_by(
                Shift.starts_at, Shift.id
            )
        ).unique()
    )
    counts: dict[tuple[int, SignupStatus], int] = {}
    if shifts:
        rows = db.session.execute(
            select(Signup.shift_id, Signup.status, func.count(Signup.id))
            .where(Signup.shift_id.in_([s.id for s in shifts]))
            .group_by(Signup.shift_id, Signup.status)
        )
        counts = {(shift_id, status): n for shift_id, status, n in rows}
    return [
        ShiftItem(s, counts.get((s.id, SignupStatus.CONFIRMED), 0), counts.get((s.id, SignupStatus.WAITLISTED), 0))
        for s in shifts
    ]


def shifts_soon(user: User, day: date) -> list[ShiftItem]:
    """The shifts of the coordinator's published activities that start today or tomorrow (local days) or are
    running now, soonest first: each has a check-in screen."""
    start, end = local_day_start(day), local_day_start(day + timedelta(days=2))
    query = organization_scope(
        select(Shift)
        .join(Shift.activity)
        .where(Activity.status == ActivityStatus.PUBLISHED, Shift.ends_at > start, Shift.starts_at < end),
        Activity.organization_id,
        user,
    )
    return _counted_shifts(query)


def waitlists(user: User, now: datetime, *, limit: int = CAP) -> Capped:
    """Upcoming shifts of the coordinator's organization with volunteers waiting for a place, soonest first."""
    waiting = select(Signup.shift_id).where(Signup.status == SignupStatus.WAITLISTED)
    query = organization_scope(
        select(Shift)
        .join(Shift.activity)
        .where(Activity.status == ActivityStatus.PUBLISHED, Shift.ends_at > now, Shift.id.in_(waiting)),
        Activity.organization_id,
        user,
    )
    total = db.session.scalar(query.with_only_columns(func.count(Shift.id))) or 0
    return Capped(_counted_shifts(query.limit(limit)) if total else [], total)


def registered_children(user: User, now: datetime, *, limit: int = CAP) -> Capped:
    """Upcoming published activities the director's children are registered for, soonest first; each item is
    (activity, the names of the director's children registered)."""
    query = child_scope(
        select(Activity, Child.name)
        .join(ActivityRegistration, ActivityRegistration.activity_id == Activity.id)
        .join(Child, Child.id == ActivityRegistration.child_id)
        .where(
            Activity.status == ActivityStatus.PUBLISHED,
            Activity.ends_at > now,
            Child.status == ChildStatus.ACTIVE,
        ),
        user,
    )
    grouped: dict[int, tuple[Activity, list[str]]] = {}
    for activity, name in db.session.execute(
        query.options(selectinload(Activity.town)).order_by(Activity.starts_at, Activity.id, Child.name)
    ):
        grouped.setdefault(activity.id, (activity, []))[1].append(name)
    items = list(grouped.values())
    return Capped(items[:limit], len(items))


def town_r3(user: User, day: date) -> Shares | None:
    """R3 this year for the files the supervisor may see (their town): child-weeks with a contact and child-months
    with a home visit; None before any week has ended. One statement."""
    ((everyone, _risky),) = child_shares(day.year, day, child_scope(select(Child), user), [("town_id", {})])
    return everyone.get("__all__")


@dataclass
class CountyDue:
    """The administrator's due and late: towns whose progress report is not submitted (after 1 October, while the
    deadline nears, and once it has passed), failed message deliveries, activities ended and not closed."""

    year: int
    reports_missing: list[Town]
    reports_late: bool
    failed_messages: int


def county_due(day: date) -> CountyDue:
    """The county's due and late items: three statements."""
    deadline = date(day.year, *DEADLINE)
    missing: list[Town] = []
    if day >= deadline - timedelta(days=31):
        submitted = select(ProgressReport.town_id).where(
            ProgressReport.year == day.year, ProgressReport.submitted_at.is_not(None)
        )
        missing = list(
            db.session.scalars(
                select(Town).where(Town.is_active, Town.id.not_in(submitted)).order_by(Town.sort_order, Town.id)
            )
        )
    failed = db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.FAILED))
    return CountyDue(day.year, missing, day >= deadline, failed or 0)
