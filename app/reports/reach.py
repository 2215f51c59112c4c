"""Keeps ``YearlyReach`` exact: a flush that touches an attendance or a held activity recounts, in the same
transaction, every (organization, year) pair the change could move, by the department report's own live query.

Bulk loads that bypass the ORM (``bench.generate``) call ``recount_all`` afterwards; ``flask recount-reach`` does
the same by hand. The hooks are attached when this module is imported (by the report routes, in ``create_app``).
"""

from __future__ import annotations

from sqlalchemy import delete, distinct, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from app.activities.models import Activity, ActivityStatus
from app.childcare.models import Attendance
from app.extensions import db
from app.reports.models import YearlyReach
from app.reports.periods import year_period
from app.reports.queries import by_organizer, held
from app.timeutils import to_local

PENDING = "yearly_reach_pending"


def counted_live(year: int, organization_id: int | None = None):
    """(organization, unique children) for the activities held in ``year``: the live count the table stores."""
    groups = by_organizer(held(year_period(year))).subquery()
    query = (
        select(groups.c.key, func.count(distinct(Attendance.child_id)))
        .join(Attendance, Attendance.activity_id == groups.c.activity_id)
        .group_by(groups.c.key)
    )
    if organization_id is not None:
        query = query.where(groups.c.key == organization_id)
    return query


def _pairs(activity: Activity, *, before: bool) -> set[tuple[int, int]]:
    """The (organization, year) pairs an activity counts for now, or also before this flush's changes."""
    state = inspect(activity)
    organizations = {activity.organization_id} | {o.id for o in activity.coorganizers}
    starts = {activity.starts_at}
    if before and state.persistent:
        organizations |= set(state.attrs.organization_id.history.deleted)
        organizations |= {o.id for o in state.attrs.coorganizers.history.deleted}
        starts |= set(state.attrs.starts_at.history.deleted)
    return {(org, to_local(start).year) for org in organizations if org for start in starts if start}


def _was_or_is_held(activity: Activity) -> bool:
    statuses = {activity.status, *inspect(activity).attrs.status.history.deleted}
    return ActivityStatus.COMPLETED in statuses


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    pending: set = session.info.setdefault(PENDING, set())
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Attendance):
                activity = obj.activity or session.get(Activity, obj.activity_id)
                if activity is not None and activity.status == ActivityStatus.COMPLETED:
                    pending |= _pairs(activity, before=False)
            elif isinstance(obj, Activity) and _was_or_is_held(obj):
                attrs = inspect(obj).attrs
                changed = obj in session.new or obj in session.deleted
                changed = changed or any(
                    attrs[name].history.has_changes()
                    for name in ("status", "organization_id", "starts_at", "coorganizers")
                )
                if changed:
                    pending |= _pairs(obj, before=True)


@event.listens_for(Session, "after_flush")
def _recount(session: Session, _context) -> None:
    pending = session.info.pop(PENDING, set())
    if not pending:
        return
    connection = session.connection()
    for organization_id, year in sorted(pending):
        rows = connection.execute(counted_live(year, organization_id)).all()
        connection.execute(
            delete(YearlyReach).where(YearlyReach.organization_id == organization_id, YearlyReach.year == year)
        )
        if rows and rows[0][1]:
            connection.execute(
                insert(YearlyReach).values(organization_id=organization_id, year=year, children=rows[0][1])
            )


def recount_all() -> int:
    """Rebuild the whole table from the source rows; returns how many (organization, year) rows it holds."""
    db.session.execute(delete(YearlyReach))
    first, last = db.session.execute(
        select(func.min(Activity.starts_at), func.max(Activity.starts_at)).where(
            Activity.status == ActivityStatus.COMPLETED
        )
    ).one()
    total = 0
    if first is not None:
        for year in range(to_local(first).year, to_local(last).year + 1):
            rows = [
                {"organization_id": org, "year": year, "children": n}
                for org, n in db.session.execute(counted_live(year))
                if org
            ]
            if rows:
                db.session.execute(insert(YearlyReach), rows)
            total += len(rows)
    return total
