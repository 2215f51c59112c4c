"""The department activity report and its relatives: aggregate SQL, a fixed number of statements.

Counting rules (the plan's): an activity counts when it was held — closed as completed by its coordinator
(``app.activities.models.held_activity``, the one definition every report and rule uses) — in the period its
start falls in (Beijing time), once for its organization and once for each co-organizer. Volunteers and hours come
from confirmed sign-ups with a check-in; children reached are unique children with an attendance.

Every figure is a GROUP BY over a *grouping*: a select of ``(activity_id, key)`` pairs built on the held activities,
which says which groups an activity counts for (its organizers, its town, its plan tasks, a year, a month...). The
database counts distinct volunteers and children and sums service minutes; Python only arranges the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from itertools import pairwise

from sqlalchemy import CTE, Select, and_, case, distinct, func, literal, or_, select, union
from sqlalchemy.orm import selectinload

from app.activities.models import (
    KIND_TASKS,
    Activity,
    ActivityKind,
    Shift,
    Signup,
    SignupStatus,
    activity_coorganizers,
    held_activity,
)
from app.childcare.models import Attendance, Child
from app.directory.models import Organization, OrganizationKind
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing
from app.reports.models import YearlyReach
from app.reports.periods import Period
from app.sql import json_items
from app.timeutils import local_to_utc

KIND_ORDER = [
    OrganizationKind.COUNTY_BODY,
    OrganizationKind.TOWN_GOVERNMENT,
    OrganizationKind.SOCIAL_WORK_STATION,
    OrganizationKind.PROTECTION_STATION,
    OrganizationKind.SCHOOL,
    OrganizationKind.SOCIAL_ORGANIZATION,
]

Grouping = Callable[[CTE], Select]


@dataclass
class Figures:
    """What a group of held activities amounts to: the figures of one report row."""

    activities: int = 0
    by_task: dict[int, int] = field(default_factory=dict)
    topics: set[str] = field(default_factory=set)
    volunteers: int = 0
    minutes: int = 0
    children: int = 0
    pairings: int = 0
    sessions: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class DepartmentRow(Figures):
    organization: Organization | None = None


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def held(period: Period, *, kind: str | None = None, town_id: int | None = None, task: int | None = None) -> CTE:
    """The activities held in the period, with the columns the groupings need."""
    query = select(
        Activity.id,
        Activity.organization_id,
        Activity.plan_tasks,
        Activity.safety_topics,
        Activity.town_id,
        Activity.starts_at,
    ).where(
        held_activity(),
        Activity.starts_at >= period.starts_at,
        Activity.starts_at < period.ends_before,
    )
    if kind:
        query = query.where(Activity.kind == kind)
    if town_id:
        query = query.where(Activity.town_id == town_id)
    if task:
        tasks, value = json_items(Activity.plan_tasks, _dialect(), integers=True)
        query = query.where(select(value).select_from(tasks).where(value == task).exists())
    return query.cte("held")


def held_activities(period: Period, **filters):
    """(id, organization_id, plan_tasks, safety_topics, town_id, starts_at) of the activities held in the period."""
    return db.session.execute(select(held(period, **filters))).all()


# Groupings: which groups each held activity counts for, as (activity_id, key) rows.


def by_organizer(activities: CTE) -> Select:
    """Its organization and each co-organizer (once each)."""
    return union(
        select(activities.c.id.label("activity_id"), activities.c.organization_id.label("key")),
        select(activity_coorganizers.c.activity_id, activity_coorganizers.c.organization_id).join(
            activities, activities.c.id == activity_coorganizers.c.activity_id
        ),
    )


def by_town(activities: CTE) -> Select:
    return select(activities.c.id.label("activity_id"), activities.c.town_id.label("key")).where(
        activities.c.town_id.is_not(None)
    )


def by_task(activities: CTE) -> Select:
    tasks, value = json_items(activities.c.plan_tasks, _dialect(), integers=True)
    return (
        select(activities.c.id.label("activity_id"), value.label("key"))
        .select_from(activities)
        .join(tasks, literal(True))
    )


def overall(activities: CTE) -> Select:
    """The whole county: one group, key 0."""
    return select(activities.c.id.label("activity_id"), literal(0).label("key"))


# The groupings whose yearly unique children ``app.reports.reach`` keeps, by the name the table stores them under.
KEPT_GROUPINGS: dict[str, Grouping] = {
    "organization": by_organizer,
    "town": by_town,
    "task": by_task,
    "county": overall,
}


def by_range(bounds: Sequence[tuple[object, date]]) -> Grouping:
    """By which of consecutive date ranges the activity starts in: ``bounds`` are (key, first day) in order."""

    def grouping(activities: CTE) -> Select:
        starts = [(key, local_to_utc(first, time(0))) for key, first in bounds]
        key = case(
            *[(activities.c.starts_at < later, key) for (key, _), (_, later) in pairwise(starts)],
            else_=starts[-1][0],
        )
        return select(activities.c.id.label("activity_id"), key.label("key"))

    return grouping


def figures(
    period: Period,
    grouping: Grouping,
    *,
    full: bool = True,
    detail: bool = False,
    kind: str | None = None,
    town_id: int | None = None,
    task: int | None = None,
) -> dict:
    """{key: Figures} for the activities held in the period, grouped by ``grouping``. Only activity counts unless
    ``full`` (volunteers, hours, children); per-task counts and safety topics with ``detail``. One to five
    statements, whatever the amount of data. Unique children of an unfiltered calendar year come from the kept
    yearly counts (``app.reports.reach``) for the groupings it keeps."""
    activities = held(period, kind=kind, town_id=town_id, task=task)
    groups = grouping(activities).cte("grouped")
    result: dict = {}

    def row(key) -> Figures:
        return result.setdefault(key, Figures())

    for key, count in db.session.execute(select(groups.c.key, func.count()).group_by(groups.c.key)):
        row(key).activities = count
    if detail:
        joined = groups.join(activities, activities.c.id == groups.c.activity_id)
        tasks, task_value = json_items(activities.c.plan_tasks, _dialect(), integers=True)
        for key, plan_task, count in db.session.execute(
            select(groups.c.key, task_value, func.count())
            .select_from(joined)
            .join(tasks, literal(True))
            .group_by(groups.c.key, task_value)
        ):
            row(key).by_task[plan_task] = count
        topics, topic_value = json_items(activities.c.safety_topics, _dialect())
        for key, topic in db.session.execute(
            select(groups.c.key, topic_value).select_from(joined).join(topics, literal(True)).distinct()
        ):
            row(key).topics.add(topic)
    if full:
        for key, volunteers, minutes in db.session.execute(
            select(groups.c.key, func.count(distinct(Signup.user_id)), func.sum(Signup.minutes))
            .select_from(groups)
            .join(Shift, Shift.activity_id == groups.c.activity_id)
            .join(Signup, Signup.shift_id == Shift.id)
            .where(
                Signup.status == SignupStatus.CONFIRMED,
                or_(Signup.checked_in_at.is_not(None), Signup.minutes_override.is_not(None)),
            )
            .group_by(groups.c.key)
        ):
            row(key).volunteers = volunteers
            row(key).minutes = int(minutes or 0)
    kept = next((name for name, kept in KEPT_GROUPINGS.items() if kept is grouping), None)
    year = period.calendar_year if kept and not (kind or town_id or task) else None
    if full and year is not None:
        for key, count in reached(kept, year).items():
            row(key).children = count
    elif full:
        # DISTINCT pairs first, then a count: lets PostgreSQL hash instead of sorting every attendance.
        pairs = (
            select(groups.c.key, Attendance.child_id)
            .select_from(groups)
            .join(Attendance, Attendance.activity_id == groups.c.activity_id)
            .distinct()
            .subquery()
        )
        for key, count in db.session.execute(select(pairs.c.key, func.count()).group_by(pairs.c.key)):
            row(key).children = count
    return result


def reached(grouping: str, year: int) -> dict[int, int]:
    """{key: unique children reached} of a grouping in a calendar year, as ``app.reports.reach`` keeps them."""
    return dict(
        db.session.execute(
            select(YearlyReach.key, YearlyReach.children).where(
                YearlyReach.grouping == grouping, YearlyReach.year == year
            )
        ).all()
    )


def department_report(
    period: Period,
    *,
    kind: str | None = None,
    town_id: int | None = None,
    task: int | None = None,
    organization_id: int | None = None,
) -> list[DepartmentRow]:
    """One row per active organization (county bodies first), and per inactive one with figures in the period; or
    only ``organization_id``'s row. An activity counts for its organization and each co-organizer."""
    found = figures(period, by_organizer, detail=True, kind=kind, town_id=town_id, task=task)
    pairings, sessions = _pairings(period, kind=kind, town_id=town_id, task=task)
    org_query = select(Organization).where(
        or_(Organization.is_active, Organization.id.in_([*found, *pairings, *sessions]))
    )
    if organization_id:
        org_query = org_query.where(Organization.id == organization_id)
    organizations = sorted(
        db.session.scalars(org_query), key=lambda o: (KIND_ORDER.index(o.kind), o.sort_order, o.name_zh)
    )
    rows = [DepartmentRow(**vars(found.get(o.id) or Figures()), organization=o) for o in organizations]
    for row in rows:
        row.pairings, row.sessions = pairings.get(row.organization.id, 0), sessions.get(row.organization.id, 0)
    return rows


def pairing_active_in(period: Period):
    """SQL: the pairing was active at some point in the period."""
    return and_(Pairing.started_on <= period.last, or_(Pairing.ended_on.is_(None), Pairing.ended_on >= period.first))


def _pairing_filter(period: Period, *, kind: str | None, town_id: int | None, task: int | None) -> list | None:
    """WHERE clauses of the pairings a report counts: active at some point in the period. Pairings are mentoring
    work (its plan tasks), so a filter on another kind or task leaves none (None); a town filter keeps the pairings of
    that town's children."""
    if (kind and kind != ActivityKind.MENTORING) or (task and task not in KIND_TASKS[ActivityKind.MENTORING]):
        return None
    where = [pairing_active_in(period)]
    if town_id:
        where.append(Pairing.child.has(Child.town_id == town_id))
    return where


def _sessions_in(period: Period):
    return and_(MentoringSession.held_on >= period.first, MentoringSession.held_on <= period.last)


def _pairings(
    period: Period, *, kind: str | None, town_id: int | None, task: int | None
) -> tuple[dict[int, int], dict[int, int]]:
    """({organization id: pairings active in the period}, {organization id: their sessions held in it})."""
    where = _pairing_filter(period, kind=kind, town_id=town_id, task=task)
    if where is None:
        return {}, {}
    active = select(Pairing.organization_id, func.count()).where(*where)
    sessions = (
        select(Pairing.organization_id, func.count()).join(MentoringSession.pairing).where(_sessions_in(period), *where)
    )
    return (
        dict(db.session.execute(active.group_by(Pairing.organization_id)).all()),
        dict(db.session.execute(sessions.group_by(Pairing.organization_id)).all()),
    )


def pairings_behind(
    period: Period,
    *,
    organization_id: int,
    kind: str | None = None,
    town_id: int | None = None,
    task: int | None = None,
) -> list[tuple[Pairing, int]]:
    """The pairings a department row counts, each with its sessions held in the period, for the linked list."""
    where = _pairing_filter(period, kind=kind, town_id=town_id, task=task)
    if where is None:
        return []
    sessions = (
        select(func.count(MentoringSession.id))
        .where(MentoringSession.pairing_id == Pairing.id, _sessions_in(period))
        .scalar_subquery()
    )
    return list(
        db.session.execute(
            select(Pairing, sessions)
            .where(Pairing.organization_id == organization_id, *where)
            .options(selectinload(Pairing.mentor))
            .order_by(Pairing.started_on, Pairing.id)
        ).all()
    )


def activities_behind(
    period: Period,
    *,
    organization_id: int,
    kind: str | None = None,
    town_id: int | None = None,
    task: int | None = None,
) -> list[Activity]:
    """The activities a department row counts (its own and those it co-organized) under the same filters, for the
    linked list."""
    groups = by_organizer(held(period, kind=kind, town_id=town_id, task=task)).subquery()
    return list(
        db.session.scalars(
            select(Activity)
            .where(Activity.id.in_(select(groups.c.activity_id).where(groups.c.key == organization_id)))
            .order_by(Activity.starts_at)
        )
    )
