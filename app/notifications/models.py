"""Messages (the outbox and every account's inbox), their deliveries by SMS and e-mail, coordinators' broadcasts,
sign-in codes and the one-tap links already used.

A message is a row first: (kind, object, recipient, occasion) is unique, so whatever creates it twice (a job run
twice, on two hosts, after a crash) creates it once, and each of its deliveries is sent once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db_types import UTCDateTime, str_enum, utcnow
from app.extensions import db


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its time (now, after quiet hours, or the next retry)
    SENDING = "sending"  # claimed by one worker; it alone sends
    SENT = "sent"
    FAILED = "failed"  # retries used up, or refused for good (an invalid number): the administrator sees it
    SKIPPED = "skipped"  # not sent on purpose (opted out since, over the daily cap, outdated): the inbox has it


class Message(db.Model):
    """One message to one account: always in its inbox, and by SMS or e-mail as the account chose.

    Its text is not stored: it is rendered from ``kind`` and ``params`` in the reader's language whenever it is shown
    or sent (``app.notifications.kinds``)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("kind", "object_type", "object_id", "recipient_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What it is about ("" and 0 when nothing): not NULL, so the unique key holds on both databases.
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int] = mapped_column(default=0)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Which time it is sent for the same object: a date, a sequence number, a shift id ...
    occasion: Mapped[str] = mapped_column(String(64), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    is_urgent: Mapped[bool] = mapped_column(default=False)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    sender: Mapped[User | None] = relationship(foreign_keys=[sender_id])
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Delivery.channel"
    )


class Delivery(db.Model):
    """A message sent by one channel (SMS or e-mail) to one address, with what the provider answered."""

    __tablename__ = "message_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    address: Mapped[str] = mapped_column(String(254))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # What was sent (the text in the recipient's language), for the development outbox and the failures page.
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_ref: Mapped[str] = mapped_column(String(100), default="")
    last_error: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    message: Mapped[Message] = relationship(back_populates="deliveries")


class Broadcast(db.Model):
    """A coordinator's message to the volunteers of a shift or of a whole activity."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(500))
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CodePurpose(StrEnum):
    LOGIN = "login"  # a volunteer signs in (or registers) by phone
    JOIN = "join"  # a new volunteer signs up from a poster
    RESET = "reset"  # anyone resets a forgotten password
    SECOND_STEP = "second_step"  # staff who chose SMS codes as a second step after the password


class SmsCode(db.Model):
    """A six-digit code sent by SMS: valid five minutes, single use, a few attempts. Only its digest is kept."""

    __tablename__ = "sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedLink(db.Model):
    """A one-tap link ("I'll come" / "I can't come") that has done its work: a link works once."""

    __tablename__ = "used_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
