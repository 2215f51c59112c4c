"""Attendance at activities, tied to each child's file; children registered for activities by their directors."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select

from app.activities.models import Activity, ActivityStatus
from app.audit.services import record
from app.auth.models import User
from app.childcare.models import ActivityRegistration, Attendance, Child, ChildStatus, ProblemSource
from app.childcare.services import ChildError, raise_problem, today
from app.db_types import utcnow
from app.extensions import db
from app.permissions import can_register_children, can_view_child


def register_child(activity: Activity, child: Child, *, by: User) -> ActivityRegistration:
    """A child director signs up a child of their villages for an upcoming activity, within the expected number."""
    if not can_view_child(child, by) or not can_register_children(by):
        raise ChildError("not_yours", _("You can only register children of your own villages."))
    if activity.status != ActivityStatus.PUBLISHED or activity.starts_at <= utcnow():
        raise ChildError("not_upcoming", _("Children can be registered only for an upcoming published activity."))
    if db.session.scalar(
        select(ActivityRegistration.id).where(
            ActivityRegistration.activity_id == activity.id, ActivityRegistration.child_id == child.id
        )
    ):
        raise ChildError("already_registered", _("This child is already registered."))
    taken = db.session.scalar(
        select(func.count(ActivityRegistration.id)).where(ActivityRegistration.activity_id == activity.id)
    )
    if activity.expected_children and taken >= activity.expected_children:
        raise ChildError(
            "full",
            _("The activity expects %(n)d children and all places are registered.", n=activity.expected_children),
        )
    registration = ActivityRegistration(activity_id=activity.id, child_id=child.id, registered_by_id=by.id)
    db.session.add(registration)
    db.session.flush()
    record("child.registered_for_activity", child, actor=by, activity=activity.id)
    return registration


def attendance_pool(activity: Activity) -> Select:
    """The children whose attendance may be marked at ``activity`` (a ``select(Child)``): those registered for it by
    their child directors and, for an activity held in a town, the files of that town (of its village, if it has
    one). An activity with no town: its registered children only — nobody chooses among the county's files."""
    condition = Child.id.in_(
        select(ActivityRegistration.child_id).where(ActivityRegistration.activity_id == activity.id)
    )
    if activity.town_id:
        local = Child.town_id == activity.town_id
        if activity.village_id:
            local = and_(local, Child.village_id == activity.village_id)
        condition = or_(condition, local)
    return select(Child).where(condition)


def may_attend(activity: Activity, child: Child) -> bool:
    """Whether ``child`` is in the activity's attendance pool (see ``attendance_pool``)."""
    return (
        db.session.scalar(attendance_pool(activity).where(Child.id == child.id).with_only_columns(Child.id)) is not None
    )


def mark_attendance(activity: Activity, child: Child, *, by: User, concern: str = "") -> Attendance:
    """Mark that a child attended; a concern noted on the spot opens a problem on the file for the child director.
    Only a child registered for the activity, or of the activity's own town (and village), can be marked."""
    if activity.status == ActivityStatus.CANCELLED or activity.starts_at > utcnow():
        raise ChildError("not_held", _("Attendance can be marked once the activity has started."))
    if child.status != ChildStatus.ACTIVE:
        raise ChildError("closed", _("This child's file is closed."))
    if not may_attend(activity, child):
        raise ChildError(
            "not_in_pool",
            _("Only children registered for the activity, or living where it is held, can be marked as attending."),
        )
    existing = db.session.scalar(
        select(Attendance).where(Attendance.activity_id == activity.id, Attendance.child_id == child.id)
    )
    if existing is not None:
        return existing
    attendance = Attendance(activity_id=activity.id, child_id=child.id, marked_by_id=by.id, concern=concern.strip())
    db.session.add(attendance)
    db.session.flush()
    record("child.attendance_marked", child, actor=by, activity=activity.id)
    if concern.strip():
        raise_problem(
            child,
            description=concern,
            found_on=today(),
            by=by,
            source=ProblemSource.ACTIVITY,
            activity_id=activity.id,
        )
    return attendance


def remove_attendance(attendance: Attendance, *, by: User) -> None:
    """Undo a wrongly marked attendance; the audit log keeps that it was there."""
    record("child.attendance_removed", attendance.child, actor=by, activity=attendance.activity_id)
    db.session.delete(attendance)
    db.session.flush()


def children_reached(activity_ids: list[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.activity_id, func.count(Attendance.id))
        .where(Attendance.activity_id.in_(activity_ids))
        .group_by(Attendance.activity_id)
    )
    return dict(rows.all())


def missed_last_three(child_ids: list[int]) -> set[int]:
    """Children who were registered for their last three past activities and attended none of them."""
    if not child_ids:
        return set()
    rows = db.session.execute(
        select(ActivityRegistration.child_id, ActivityRegistration.activity_id, Activity.starts_at)
        .join(Activity, Activity.id == ActivityRegistration.activity_id)
        .where(
            ActivityRegistration.child_id.in_(child_ids),
            Activity.starts_at <= utcnow(),
            Activity.status != ActivityStatus.CANCELLED,
        )
    ).all()
    attended = set(
        db.session.execute(
            select(Attendance.child_id, Attendance.activity_id).where(Attendance.child_id.in_(child_ids))
        ).all()
    )
    by_child: dict[int, list[tuple]] = {}
    for child_id, activity_id, starts_at in rows:
        by_child.setdefault(child_id, []).append((starts_at, activity_id))
    flagged = set()
    for child_id, items in by_child.items():
        last = sorted(items, reverse=True)[:3]
        if len(last) == 3 and all((child_id, activity_id) not in attended for _start, activity_id in last):
            flagged.add(child_id)
    return flagged
