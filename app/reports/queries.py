"""The department activity report: a handful of queries whatever the number of organizations or activities.

Counting rules (the plan's): an activity counts when it was held — completed, not cancelled — in the period its
start falls in (Beijing time), once for its organization and once for each co-organizer. Volunteers and hours come
from confirmed sign-ups with a check-in; children reached are unique children with an attendance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager

from app.activities.checkin import service_minutes
from app.activities.models import Activity, ActivityStatus, Shift, Signup, SignupStatus, activity_coorganizers
from app.childcare.models import Attendance
from app.directory.models import Organization, OrganizationKind
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing
from app.reports.periods import Period

KIND_ORDER = [
    OrganizationKind.COUNTY_BODY,
    OrganizationKind.TOWN_GOVERNMENT,
    OrganizationKind.SOCIAL_WORK_STATION,
    OrganizationKind.PROTECTION_STATION,
    OrganizationKind.SCHOOL,
    OrganizationKind.SOCIAL_ORGANIZATION,
]


@dataclass
class Tally:
    """What a group of held activities amounts to: the figures of one report row."""

    activities: set[int] = field(default_factory=set)
    by_task: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    topics: set[str] = field(default_factory=set)
    volunteers: set[int] = field(default_factory=set)
    minutes: int = 0
    children: set[int] = field(default_factory=set)
    pairings: int = 0
    sessions: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class DepartmentRow(Tally):
    organization: Organization | None = None


def held_activities(period: Period, *, kind: str | None = None, town_id: int | None = None, task: int | None = None):
    """(id, organization, plan tasks, safety topics, town, start) of the activities held in the period."""
    query = select(
        Activity.id,
        Activity.organization_id,
        Activity.plan_tasks,
        Activity.safety_topics,
        Activity.town_id,
        Activity.starts_at,
    ).where(
        Activity.status == ActivityStatus.COMPLETED,
        Activity.starts_at >= period.starts_at,
        Activity.starts_at < period.ends_before,
    )
    if kind:
        query = query.where(Activity.kind == kind)
    if town_id:
        query = query.where(Activity.town_id == town_id)
    rows = db.session.execute(query).all()
    if task:
        rows = [r for r in rows if task in (r.plan_tasks or [])]
    return rows


def tally(
    period: Period, groups_of, *, kind: str | None = None, town_id: int | None = None, task: int | None = None
) -> dict:
    """Tally the activities held in the period into groups: ``groups_of(activity, co_organizer_ids)`` names the
    groups an activity counts for (its organizations, its town, its plan tasks). Four queries in all."""
    activities = held_activities(period, kind=kind, town_id=town_id, task=task)
    by_id = {a.id: a for a in activities}
    co: dict[int, set[int]] = defaultdict(set)
    if by_id:
        for activity_id, org_id in db.session.execute(
            select(activity_coorganizers.c.activity_id, activity_coorganizers.c.organization_id).where(
                activity_coorganizers.c.activity_id.in_(by_id)
            )
        ):
            co[activity_id].add(org_id)
    groups = {a.id: set(groups_of(a, co[a.id])) for a in activities}
    tallies: dict = defaultdict(Tally)
    for activity in activities:
        for key in groups[activity.id]:
            row = tallies[key]
            row.activities.add(activity.id)
            for plan_task in activity.plan_tasks or []:
                row.by_task[plan_task].add(activity.id)
            row.topics.update(activity.safety_topics or [])
    if by_id:
        signups = db.session.scalars(
            select(Signup)
            .join(Signup.shift)
            .options(contains_eager(Signup.shift))
            .where(
                Shift.activity_id.in_(by_id),
                Signup.status == SignupStatus.CONFIRMED,
                or_(Signup.checked_in_at.is_not(None), Signup.minutes_override.is_not(None)),
            )
        ).all()
        for signup in signups:
            for key in groups[signup.shift.activity_id]:
                tallies[key].volunteers.add(signup.user_id)
                tallies[key].minutes += service_minutes(signup)
        for activity_id, child_id in db.session.execute(
            select(Attendance.activity_id, Attendance.child_id).where(Attendance.activity_id.in_(by_id))
        ):
            for key in groups[activity_id]:
                tallies[key].children.add(child_id)
    return tallies


def department_report(
    period: Period,
    *,
    kind: str | None = None,
    town_id: int | None = None,
    task: int | None = None,
    organization_id: int | None = None,
) -> list[DepartmentRow]:
    """One row per active organization (county bodies first), or only ``organization_id``'s row; an activity
    counts for its organization and each co-organizer."""
    org_query = select(Organization).where(Organization.is_active)
    if organization_id:
        org_query = org_query.where(Organization.id == organization_id)
    organizations = sorted(
        db.session.scalars(org_query), key=lambda o: (KIND_ORDER.index(o.kind), o.sort_order, o.name_zh)
    )
    tallies = tally(period, lambda a, co: {a.organization_id} | co, kind=kind, town_id=town_id, task=task)
    rows = {}
    for organization in organizations:
        found = tallies.get(organization.id) or Tally()
        rows[organization.id] = DepartmentRow(
            **{f: getattr(found, f) for f in Tally.__dataclass_fields__}, organization=organization
        )
    _add_pairings(rows, period)
    return list(rows.values())


def _add_pairings(rows: dict[int, DepartmentRow], period: Period) -> None:
    """Pairings active at some point in the period, and sessions held in it (tasks 10 and 11)."""
    active = db.session.execute(
        select(Pairing.organization_id, Pairing.id).where(
            Pairing.started_on <= period.last,
            or_(Pairing.ended_on.is_(None), Pairing.ended_on >= period.first),
        )
    ).all()
    for org_id, _pairing in active:
        if org_id in rows:
            rows[org_id].pairings += 1
    sessions = db.session.execute(
        select(Pairing.organization_id, MentoringSession.id)
        .join(MentoringSession.pairing)
        .where(and_(MentoringSession.held_on >= period.first, MentoringSession.held_on <= period.last))
    ).all()
    for org_id, _session in sessions:
        if org_id in rows:
            rows[org_id].sessions += 1


def activities_behind(period: Period, *, organization_id: int, task: int | None = None) -> list[Activity]:
    """The activities a department row counts (its own and those it co-organized), for the linked list."""
    ids = {a.id for a in held_activities(period, task=task)}
    query = (
        select(Activity)
        .where(
            Activity.id.in_(ids),
            or_(
                Activity.organization_id == organization_id,
                Activity.id.in_(
                    select(activity_coorganizers.c.activity_id).where(
                        activity_coorganizers.c.organization_id == organization_id
                    )
                ),
            ),
        )
        .order_by(Activity.starts_at)
    )
    return list(db.session.scalars(query)) if ids else []
