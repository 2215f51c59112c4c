"""Messages: created once (the outbox's unique key), delivered once per channel, read in the inbox.

``notify`` is what every feature calls, inside its own transaction: the message and its deliveries are rows of that
transaction, so a refused operation sends nothing, and the deliveries are queued only after it commits. Delivering
is done by a job: ``claim_delivery`` takes a pending delivery for one worker alone (a conditional UPDATE, so two
workers never both take it), ``send_delivery`` sends it and records the provider's answer, with retries and
back-off; a delivery that cannot be sent is shown to the administrator, never dropped silently.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.models import Role, User
from app.db_types import utcnow
from app.domain import DomainError
from app.extensions import db
from app.notifications.channels import Outgoing, sender_for
from app.notifications.kinds import KINDS, absolute, rendered_for
from app.notifications.models import Channel, Delivery, DeliveryStatus, Message
from app.timeutils import SHANGHAI, local_day_start, to_local

# A "sending" delivery older than this was taken by a worker that stopped: it is not sent again automatically (it
# may have gone out), but shown as failed so the administrator can decide.
STALE_SENDING = timedelta(minutes=10)


class MessageError(DomainError):
    """A broken rule about messages (a preference, a resend)."""


def notify(
    kind: str,
    recipient: User,
    *,
    about=None,
    occasion: str = "",
    params: dict | None = None,
    urgent: bool = False,
    sender: User | None = None,
    fresh: bool = False,
) -> Message | None:
    """Create the message ``kind`` about ``about`` for ``recipient`` on ``occasion``, unless it exists already (then
    None: whatever runs twice sends once). Its deliveries follow the recipient's channels and are queued when the
    caller's transaction commits. Deleted and deactivated accounts get nothing.

    ``fresh``: the caller knows the message cannot exist yet (its occasion was made in this transaction, as a
    sign-up's ``queued_at``): it is inserted at once, without looking first or a savepoint; the unique key still
    refuses a duplicate (then the caller's transaction fails, as it should)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if recipient.anonymised_at is not None or not recipient.is_active:
        return None
    key = {
        "kind": kind,
        "object_type": getattr(about, "__tablename__", "") or "",
        "object_id": getattr(about, "id", 0) or 0,
        "recipient_id": recipient.id,
        "occasion": str(occasion)[:64],
    }
    if not fresh:
        exists = select(Message.id).filter_by(**key)
        if db.session.scalar(exists) is not None:
            return None
    now = utcnow()
    deliveries = [
        Delivery(channel=channel, address=address, next_attempt_at=now)
        for channel in KINDS[kind].channels
        if (address := channel_address(recipient, channel))
    ]
    message = Message(
        **key, params=params or {}, is_urgent=urgent, sender_id=getattr(sender, "id", None), deliveries=deliveries
    )
    if fresh:
        db.session.add(message)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(message)
                db.session.flush()
        except IntegrityError:  # another worker created it between our check and our insert
            return None
    if deliveries:
        from app.jobs import enqueue_after_commit
        from app.notifications.tasks import deliver

        for delivery in deliveries:
            enqueue_after_commit(deliver, delivery.id)
    return message


def channel_address(user: User, channel: Channel) -> str | None:
    """Where ``user`` gets messages by ``channel``, if they want them there."""
    if channel == Channel.SMS:
        return user.phone if user.phone and user.sms_enabled else None
    return user.email if user.email and user.email_enabled else None


def admins() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.ADMIN, User.is_active.is_(True), User.anonymised_at.is_(None))
        )
    )


# --- the inbox ----------------------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Message.id)).where(Message.recipient_id == user.id, Message.read_at.is_(None))
    )


def unread_messages() -> int:
    """For the page header: the logged-in account's unread messages, as counted with its login when it was."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return 0
    counted = current_user.unread_count
    return unread_count(current_user) if counted is None else counted


def mark_read(user: User, up_to_id: int) -> int:
    """Mark ``user``'s messages up to ``up_to_id`` read (the ones the inbox just showed); returns how many."""
    result = db.session.execute(
        update(Message)
        .where(Message.recipient_id == user.id, Message.read_at.is_(None), Message.id <= up_to_id)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def update_channels(user: User, *, sms: bool, email: bool, address: str | None, by: User) -> None:
    """Choose the outside channels (the inbox is always on); an e-mail address is needed for e-mail."""
    address = (address or "").strip() or None
    if email and not address:
        raise MessageError(
            "email_needed", _("Please enter an e-mail address to get messages by e-mail."), field="email"
        )
    if sms and not user.phone:
        raise MessageError("phone_needed", _("Your account has no mobile number for SMS."), field="sms")
    user.sms_enabled, user.email_enabled, user.email = sms, email, address
    db.session.flush()
    record("messages.channels_changed", user, actor=by, sms=sms, email=email)


# --- delivery -----------------------------------------------------------------------------------------------------


def claim_delivery(delivery_id: int, now: datetime) -> Delivery | None:
    """Take a pending, due delivery for this worker alone: exactly one concurrent caller gets it."""
    taken = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .values(status=DeliveryStatus.SENDING, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    return db.session.get(Delivery, delivery_id, populate_existing=True)


def quiet_until(now: datetime) -> datetime | None:
    """Inside the quiet hours (Beijing time, ``QUIET_HOURS`` = (start, end), which may pass midnight), when they
    end; None outside them or when there are none (start == end)."""
    start, end = current_app.config["QUIET_HOURS"]
    hour = to_local(now).hour
    inside = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if start == end or not inside:
        return None
    day = to_local(now).date() + timedelta(days=0 if hour < end else 1)
    return datetime.combine(day, time(end), tzinfo=SHANGHAI)


def _sent_today(recipient_id: int, channel: Channel, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(Delivery.id))
        .join(Message, Message.id == Delivery.message_id)
        .where(
            Message.recipient_id == recipient_id,
            Message.is_urgent.is_(False),
            Delivery.channel == channel,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at >= local_day_start(to_local(now).date()),
        )
    )


def send_delivery(delivery: Delivery, now: datetime) -> DeliveryStatus:
    """Send a claimed delivery, unless the recipient has turned the channel off (skipped), the quiet hours hold a
    non-urgent SMS (back to pending until 08:00) or the daily cap is reached (skipped: the inbox has it). The
    provider's answer decides: sent, retried later with back-off, or failed (then the administrators hear of it)."""
    message = delivery.message
    recipient = message.recipient
    if channel_address(recipient, delivery.channel) != delivery.address:
        return _finish(delivery, DeliveryStatus.SKIPPED, "the recipient turned this channel off or changed it")
    if delivery.channel == Channel.SMS and not message.is_urgent and (until := quiet_until(now)):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, until
        db.session.flush()
        return delivery.status
    if (
        not message.is_urgent
        and _sent_today(recipient.id, delivery.channel, now) >= current_app.config["MESSAGE_DAILY_CAP"]
    ):
        return _finish(delivery, DeliveryStatus.SKIPPED, "daily cap reached")
    rendered = rendered_for(message)
    body = rendered.text
    if rendered.link and delivery.channel == Channel.EMAIL:
        body += "\n\n" + absolute(rendered.link)
    delivery.subject, delivery.body = rendered.title[:200], body
    delivery.attempts += 1
    sender = sender_for(delivery.channel)
    outgoing = Outgoing(
        address=delivery.address,
        subject=rendered.title,
        body=body,
        template=message.kind,
        params=rendered.sms,
        locale=recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
    )
    try:
        result = sender.send(outgoing)
    except Exception as error:  # a sender that raised: treated as an outage, retried
        from app.notifications.channels import SendResult

        result = SendResult(ok=False, provider=sender.name, error=f"{type(error).__name__}: {error}", retry=True)
    delivery.provider = result.provider[:20]
    if result.ok:
        delivery.provider_ref, delivery.sent_at = result.reference[:100], now
        return _finish(delivery, DeliveryStatus.SENT, "")
    waits = current_app.config["DELIVERY_RETRY_MINUTES"]
    if result.retry and delivery.attempts <= len(waits):
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + timedelta(minutes=waits[delivery.attempts - 1])
        delivery.last_error = result.error[:255]
        db.session.flush()
        return delivery.status
    return _finish(delivery, DeliveryStatus.FAILED, result.error)


def _finish(delivery: Delivery, status: DeliveryStatus, error: str) -> DeliveryStatus:
    delivery.status, delivery.last_error = status, (error or "")[:255]
    db.session.flush()
    if status == DeliveryStatus.FAILED:
        for admin in admins():
            notify(
                "delivery_failed",
                admin,
                occasion=to_local(utcnow()).date().isoformat(),
                params={"day": to_local(utcnow()).date().isoformat()},
            )
    return status


def due_deliveries(now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (after quiet hours, a retry's wait, or a lost queue entry)."""
    return list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
    )


def fail_stale_sending(now: datetime) -> int:
    """Deliveries a stopped worker left "sending": failed, for the administrator to resend or not."""
    stale = list(
        db.session.scalars(
            select(Delivery).where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - STALE_SENDING)
        )
    )
    for delivery in stale:
        _finish(delivery, DeliveryStatus.FAILED, "the worker stopped while sending; it may or may not have gone out")
    return len(stale)


def resend_delivery(delivery: Delivery, *, by: User) -> None:
    """The administrator sends a failed or skipped delivery again (now, whatever the quiet hours)."""
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
        raise MessageError("not_failed", _("Only a failed or skipped message can be sent again."))
    delivery.status, delivery.next_attempt_at, delivery.attempts = DeliveryStatus.PENDING, utcnow(), 0
    delivery.message.is_urgent = True  # the administrator decided: no quiet hours, no cap
    db.session.flush()
    record("messages.resent", delivery.message, actor=by, delivery=delivery.id, channel=str(delivery.channel))
    from app.jobs import enqueue_after_commit
    from app.notifications.tasks import deliver

    enqueue_after_commit(deliver, delivery.id)


def purge_messages(now: datetime, *, keep_days: int = 400) -> int:
    """Old messages go (read or not): the inbox keeps a little more than a year."""
    from sqlalchemy import delete

    result = db.session.execute(
        delete(Message)
        .where(Message.created_at < now - timedelta(days=keep_days))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
