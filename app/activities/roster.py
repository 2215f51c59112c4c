"""What is recorded about who served: a coordinator's correction of the minutes, a training's participants, and
the "time or place changed" notices a volunteer has read. One function per operation; they flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from app.activities.models import Activity, Signup, SignupStatus, TrainingParticipant, service_minutes
from app.activities.services import ActivityError
from app.audit.services import record
from app.auth.models import Role, User
from app.extensions import db


def set_signup_minutes(signup: Signup, minutes: int, *, by: User) -> None:
    """Correct the minutes a confirmed volunteer served, when the check-in times are wrong: from 0 to the shift's
    length (nobody serves longer than the shift). The correction wins over the check-in times from now on; the
    audit entry keeps the figure it replaced."""
    if signup.status != SignupStatus.CONFIRMED:
        raise ActivityError("not_confirmed", _("Only a confirmed volunteer's minutes can be corrected."))
    longest = signup.shift.length_minutes
    if minutes is None or not 0 <= minutes <= longest:
        raise ActivityError(
            "bad_minutes", _("Please enter the minutes as a number from 0 to %(n)d (the shift's length).", n=longest)
        )
    old = service_minutes(signup)
    signup.minutes_override = minutes
    db.session.flush()
    record("signup.minutes_corrected", signup, actor=by, old=old, new=minutes)


def active_child_directors() -> list[User]:
    """The child directors a training's participants are chosen from: active accounts only."""
    return list(
        db.session.scalars(select(User).where(User.role == Role.CHILD_DIRECTOR, User.is_active).order_by(User.name))
    )


def training_participant_ids(activity: Activity) -> set[int]:
    return set(
        db.session.scalars(select(TrainingParticipant.user_id).where(TrainingParticipant.activity_id == activity.id))
    )


def set_training_participants(activity: Activity, director_ids: Iterable[int], *, by: User) -> tuple[set, set]:
    """Record which child directors took part in a child director training (they count as trained that year, R6).

    Only active child directors can be chosen; a director recorded earlier whose account has since been
    deactivated keeps the training (it happened), since the page no longer lists them. A cancelled training has
    no participants. Returns the ids (added, removed); the audit entry names both."""
    if not activity.records_participants:
        raise ActivityError("not_training", _("Only a child director training has participants."))
    if activity.is_cancelled:
        raise ActivityError("cancelled", _("This activity has been cancelled."))
    wanted = set(director_ids)
    active = {director.id for director in active_child_directors()}
    if wanted - active:
        raise ActivityError("not_director", _("Only active child directors can be recorded as participants."))
    chosen = training_participant_ids(activity)
    added, removed = wanted - chosen, (chosen & active) - wanted
    for row in db.session.scalars(
        select(TrainingParticipant).where(
            TrainingParticipant.activity_id == activity.id, TrainingParticipant.user_id.in_(removed)
        )
    ):
        db.session.delete(row)
    for user_id in sorted(added):
        db.session.add(TrainingParticipant(activity_id=activity.id, user_id=user_id))
    db.session.flush()
    if added or removed:
        record("training.participants", activity, actor=by, added=sorted(added), removed=sorted(removed))
    return added, removed


def mark_changes_seen(user: User) -> int:
    """The volunteer has read the "time or place changed" notices on "my activities": clear them. Not audited:
    reading a notice is no record of service. Returns how many were cleared."""
    signups = list(db.session.scalars(select(Signup).where(Signup.user_id == user.id, Signup.changed_at.is_not(None))))
    for signup in signups:
        signup.changed_at = None
    db.session.flush()
    return len(signups)
