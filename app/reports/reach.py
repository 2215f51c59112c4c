"""Keeps ``YearlyReach`` exact: a flush that touches an attendance or a held activity (held as every report defines
it: ``app.activities.models.held_activity`` / ``Activity.is_held``) recounts, in the same transaction, every
(grouping, key, year) the change could move — the activity's organizers, its town, its plan tasks and the county,
in its year before and after the change — by the reports' own live query.

Bulk loads that bypass the ORM (``bench.generate``) call ``recount_all`` afterwards; ``flask recount-reach`` does
the same by hand. The hooks are attached when this module is imported (by ``create_app``).
"""

from __future__ import annotations

from sqlalchemy import delete, distinct, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from app.activities.models import Activity, held_activity
from app.childcare.models import Attendance
from app.extensions import db
from app.reports.models import YearlyReach
from app.reports.periods import year_period
from app.reports.queries import KEPT_GROUPINGS, held
from app.timeutils import to_local

PENDING = "yearly_reach_pending"
WATCHED = ("status", "organization_id", "coorganizers", "town_id", "plan_tasks", "starts_at")


def counted_live(grouping: str, year: int, key: int | None = None):
    """(key, unique children) of a grouping for the activities held in ``year``: the count the table keeps."""
    groups = KEPT_GROUPINGS[grouping](held(year_period(year))).subquery()
    query = (
        select(groups.c.key, func.count(distinct(Attendance.child_id)))
        .join(Attendance, Attendance.activity_id == groups.c.activity_id)
        .group_by(groups.c.key)
    )
    if key is not None:
        query = query.where(groups.c.key == key)
    return query


def _values(activity: Activity, name: str, *, before: bool) -> set:
    attribute = inspect(activity).attrs[name]
    current = attribute.value
    values = set(current) if name == "plan_tasks" else {current}
    if before and inspect(activity).persistent:
        for old in attribute.history.deleted:
            values |= set(old or ()) if name == "plan_tasks" else {old}
    return values


def _touched(activity: Activity, *, before: bool) -> set[tuple[str, int, int]]:
    """Every (grouping, key, year) the activity counts for now, and with ``before`` also before this flush."""
    organizers = _values(activity, "organization_id", before=before)
    organizers |= {o.id for o in activity.coorganizers}
    if before:
        organizers |= {o.id for o in inspect(activity).attrs.coorganizers.history.deleted}
    keys = {("organization", org) for org in organizers if org}
    keys |= {("town", town) for town in _values(activity, "town_id", before=before) if town}
    keys |= {("task", task) for task in _values(activity, "plan_tasks", before=before)}
    keys.add(("county", 0))
    years = {to_local(start).year for start in _values(activity, "starts_at", before=before) if start}
    return {(grouping, key, year) for grouping, key in keys for year in years}


def _held_now_or_before(session: Session, activity: Activity) -> bool:
    """Held after this flush (the model's ``is_held``), or before it: the row as the database still holds it, read
    through the same SQL definition the reports count with (a held activity reopened or cancelled must leave them)."""
    if activity.is_held:
        return True
    if not inspect(activity).persistent:
        return False
    return session.execute(select(Activity.id).where(Activity.id == activity.id, held_activity())).first() is not None


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    pending: set = session.info.setdefault(PENDING, set())
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Attendance):
                activity = obj.activity or session.get(Activity, obj.activity_id)
                if activity is not None and activity.is_held:
                    pending |= _touched(activity, before=False)
            elif isinstance(obj, Activity):
                attrs = inspect(obj).attrs
                changed = obj in session.new or any(attrs[name].history.has_changes() for name in WATCHED)
                if changed and _held_now_or_before(session, obj):
                    pending |= _touched(obj, before=True)


@event.listens_for(Session, "after_flush")
def _recount(session: Session, _context) -> None:
    pending = session.info.pop(PENDING, set())
    if not pending:
        return
    connection = session.connection()
    for grouping, key, year in sorted(pending):
        counted = connection.execute(counted_live(grouping, year, key)).all()
        connection.execute(
            delete(YearlyReach).where(
                YearlyReach.grouping == grouping, YearlyReach.key == key, YearlyReach.year == year
            )
        )
        if counted and counted[0][1]:
            connection.execute(
                insert(YearlyReach).values(grouping=grouping, key=key, year=year, children=counted[0][1])
            )


def recount_all() -> int:
    """Rebuild the whole table from the source rows; returns how many rows it holds."""
    db.session.execute(delete(YearlyReach))
    first, last = db.session.execute(
        select(func.min(Activity.starts_at), func.max(Activity.starts_at)).where(held_activity())
    ).one()
    total = 0
    if first is None:
        return total
    for year in range(to_local(first).year, to_local(last).year + 1):
        for grouping in KEPT_GROUPINGS:
            rows = [
                {"grouping": grouping, "key": key, "year": year, "children": n}
                for key, n in db.session.execute(counted_live(grouping, year))
                if key is not None and n
            ]
            if rows:
                db.session.execute(insert(YearlyReach), rows)
            total += len(rows)
    return total
