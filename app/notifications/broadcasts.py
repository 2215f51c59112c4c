"""A coordinator's message to the volunteers of one shift or of a whole activity: checked (at most 500 characters,
no control characters), limited (a few per coordinator per hour, counted from the ``Broadcast`` rows), audited, and
sent as one ``broadcast`` message per volunteer with the broadcast as its object."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.activities.models import Activity, Shift, Signup, SignupStatus
from app.audit.services import record
from app.auth.models import User
from app.db_types import utcnow
from app.domain import DomainError
from app.extensions import db
from app.notifications.kinds import shift_params
from app.notifications.models import Broadcast
from app.notifications.services import notify

MAX_LENGTH = 500
PER_HOUR = 5


class BroadcastError(DomainError):
    """A broadcast that may not be sent as it is."""


def clean_body(body: str) -> str:
    """The text as it will be sent (line breaks kept, ends trimmed), or a ``BroadcastError``."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise BroadcastError("empty", _("Please write the message."), field="body")
    if len(text) > MAX_LENGTH:
        raise BroadcastError("too_long", _("A message can have at most %(n)d characters.", n=MAX_LENGTH), field="body")
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text):
        raise BroadcastError("control", _("The message contains characters that cannot be sent."), field="body")
    return text


def recipients(activity: Activity, shift: Shift | None) -> list[User]:
    """The volunteers with a live sign-up (confirmed or on the waitlist) for the shift, or for any shift of the
    activity; each once."""
    query = (
        select(User)
        .join(Signup, Signup.user_id == User.id)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Shift.activity_id == activity.id, Signup.status != SignupStatus.CANCELLED)
        .distinct()
        .order_by(User.id)
    )
    if shift is not None:
        query = query.where(Shift.id == shift.id)
    return [user for user in db.session.scalars(query) if user.is_active and user.anonymised_at is None]


def next_allowed(sender: User, now: datetime) -> datetime | None:
    """When ``sender`` may send again, if they have used up the hour's broadcasts; None when they may now."""
    window = now - timedelta(hours=1)
    recent = select(Broadcast.created_at).where(Broadcast.sender_id == sender.id, Broadcast.created_at > window)
    count = db.session.scalar(select(func.count()).select_from(recent.subquery()))
    if count < PER_HOUR:
        return None
    oldest = db.session.scalar(recent.order_by(Broadcast.created_at).offset(count - PER_HOUR).limit(1))
    return oldest + timedelta(hours=1)


def broadcast_params(activity: Activity, shift: Shift | None, body: str) -> dict:
    if shift is not None:
        return shift_params(shift, body=body)
    return {"title": activity.title, "code": activity.code, "starts_at": activity.starts_at.isoformat(), "body": body}


def send_broadcast(activity: Activity, shift: Shift | None, body: str, *, by: User, now: datetime | None = None):
    """Send the coordinator's message to the shift's (or the activity's) volunteers; refused when the text is not
    right, nobody would get it, or the coordinator has sent too many this hour (saying when they may again)."""
    now = now or utcnow()
    text = clean_body(body)
    if shift is not None and shift.activity_id != activity.id:
        raise BroadcastError("bad_shift", _("Please choose a shift of this activity."), field="target")
    if (allowed := next_allowed(by, now)) is not None:
        raise BroadcastError(
            "rate_limited",
            _(
                "You have sent %(n)d messages in the last hour. You can send again at %(time)s.",
                n=PER_HOUR,
                time=format_datetime(allowed, "HH:mm"),
            ),
        )
    people = recipients(activity, shift)
    if not people:
        raise BroadcastError("nobody", _("Nobody has signed up for this yet: there is no one to send it to."))
    broadcast = Broadcast(
        sender_id=by.id,
        activity_id=activity.id,
        shift_id=shift.id if shift else None,
        body=text,
        recipient_count=len(people),
        created_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    params = broadcast_params(activity, shift, text)
    for person in people:
        notify("broadcast", person, about=broadcast, params=params, sender=by)
    record(
        "activity.broadcast_sent", activity, actor=by, broadcast=broadcast.id, shift=broadcast.shift_id, n=len(people)
    )
    return broadcast
