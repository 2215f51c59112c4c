"""Activities (活动), their shifts (班次) and volunteers' sign-ups (报名) with waitlist (候补) and check-in (签到)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint, event, false, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.auth.models import User
from app.db_types import UTCDateTime, str_enum, utcnow
from app.directory.models import Organization, Town, Village
from app.extensions import db


class ActivityKind(StrEnum):
    HOLIDAY_CARE = "holiday_care"
    MENTORING = "mentoring"
    SAFETY_VILLAGE = "safety_village"
    SAFETY_LECTURE = "safety_lecture"
    LEGAL_EDUCATION = "legal_education"
    RED_EDUCATION = "red_education"
    MENTAL_HEALTH = "mental_health"
    READING = "reading"
    FAMILY_EDUCATION = "family_education"
    DROWNING_PATROL = "drowning_patrol"
    ONLINE_PROTECTION = "online_protection"
    DIRECTOR_TRAINING = "director_training"
    DATA_COMPARISON = "data_comparison"
    OTHER = "other"


# The plan's task numbers each kind counts for by default (DIGEST table); the coordinator may change them.
KIND_TASKS: dict[ActivityKind, list[int]] = {
    ActivityKind.HOLIDAY_CARE: [11],
    ActivityKind.MENTORING: [10, 11],
    ActivityKind.SAFETY_VILLAGE: [13],
    ActivityKind.SAFETY_LECTURE: [13],
    ActivityKind.LEGAL_EDUCATION: [1],
    ActivityKind.RED_EDUCATION: [1],
    ActivityKind.MENTAL_HEALTH: [2],
    ActivityKind.READING: [3],
    ActivityKind.FAMILY_EDUCATION: [4],
    ActivityKind.DROWNING_PATROL: [14],
    ActivityKind.ONLINE_PROTECTION: [15],
    ActivityKind.DIRECTOR_TRAINING: [16],
    ActivityKind.DATA_COMPARISON: [10],
    ActivityKind.OTHER: [],
}
SAFETY_KINDS = {ActivityKind.SAFETY_VILLAGE, ActivityKind.SAFETY_LECTURE}


class SafetyTopic(StrEnum):
    DROWNING = "drowning"
    BULLYING = "bullying"
    SEXUAL_ASSAULT = "sexual_assault"
    ROAD_TRAFFIC = "road_traffic"
    FIRE = "fire"
    NATURAL_DISASTER = "natural_disaster"
    ONLINE = "online"


class Audience(StrEnum):
    CHILDREN = "children"
    GUARDIANS = "guardians"
    BOTH = "both"


class ActivityStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


activity_coorganizers = Table(
    "activity_coorganizers",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True),
)


def new_public_code() -> str:
    """An opaque, short, URL-safe code for the QR and the short URL (never the database id)."""
    return secrets.token_urlsafe(6)


class ActivityState:
    """What an activity's status and times say: for the mapped ``Activity`` and for the rows a page reads without
    the ORM (``app.activities.queries.ActivityPage``), which have ``status`` and ``ends_at`` too."""

    @property
    def is_open_for_signup(self) -> bool:
        """Published and not yet over: some shift may still take sign-ups (each shift says, see ``Shift``)."""
        return self.status == ActivityStatus.PUBLISHED and self.ends_at > utcnow()

    @property
    def is_draft(self) -> bool:
        return self.status == ActivityStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == ActivityStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == ActivityStatus.CANCELLED

    @property
    def is_closed(self) -> bool:
        """Cancelled or completed: nothing more happens to it."""
        return self.status in (ActivityStatus.CANCELLED, ActivityStatus.COMPLETED)

    @property
    def is_editable(self) -> bool:
        """A draft, or a published activity that has not ended yet: once it is over its times and places are a
        record (it waits to be closed as held); cancelled and completed activities are closed."""
        return self.is_draft or (self.is_published and self.ends_at > utcnow())

    @property
    def is_held(self) -> bool:
        """Held: its coordinator closed it as completed (see ``held_activity``)."""
        return self.status == ActivityStatus.COMPLETED


class Activity(db.Model, ActivityState):
    """An event an organization holds under the plan, with one or more shifts for volunteers."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_code)
    # active_history (here and below): the yearly counts (``app.reports.reach``) recount the old values too.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True, active_history=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind), index=True)
    plan_tasks: Mapped[list[int]] = mapped_column(JSON, default=list, active_history=True)
    safety_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[Audience] = mapped_column(str_enum(Audience), default=Audience.CHILDREN)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True, active_history=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    venue: Mapped[str] = mapped_column(String(200), default="")
    # An https link to a map of the venue, shown as "Directions".
    map_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    what_to_bring: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The person volunteers call on the day: shown to those signed up, and on the poster only when chosen.
    contact_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    is_contact_on_poster: Mapped[bool] = mapped_column(default=False, server_default=false())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, active_history=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_children: Mapped[int] = mapped_column(default=0)
    status: Mapped[ActivityStatus] = mapped_column(
        str_enum(ActivityStatus), default=ActivityStatus.DRAFT, index=True, active_history=True
    )
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # Raised on every change volunteers should hear about; the calendar's SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0)
    series_code: Mapped[str | None] = mapped_column(String(16), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    coorganizers: Mapped[list[Organization]] = relationship(secondary=activity_coorganizers)
    town: Mapped[Town | None] = relationship()
    village: Mapped[Village | None] = relationship()
    shifts: Mapped[list[Shift]] = relationship(
        back_populates="activity", order_by="Shift.starts_at", cascade="all, delete-orphan"
    )

    @property
    def contact_tel(self) -> str:
        """The contact phone as a ``tel:`` link wants it: the digits and a leading +."""
        return re.sub(r"[^0-9+]", "", self.contact_phone)

    @property
    def records_participants(self) -> bool:
        """A child director training: the coordinator ticks the directors who took part (R6)."""
        return self.kind == ActivityKind.DIRECTOR_TRAINING

    def __repr__(self) -> str:
        return f"<Activity {self.code} {self.title!r}>"


def held_activity():
    """The one definition of a *held* activity, as a SQL condition for every report and rule (R1, the department
    report, safety coverage, the yearly reach): its coordinator has closed it as completed. An activity that ended
    but was never closed is not yet held; it waits on the coordinator's home page to be closed with one tap."""
    return Activity.status == ActivityStatus.COMPLETED


class ShiftState:
    """What a shift's times and its activity's status say: for the mapped ``Shift`` and for the rows a page reads
    without the ORM (``app.activities.queries.ShiftPlaces``), which have ``starts_at``, ``ends_at`` and ``activity``."""

    def overlaps(self, other: ShiftState) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def is_open_for_signup(self, now: datetime) -> bool:
        """Volunteers may sign up: the activity is published (not a draft, not cancelled, not closed) and the shift
        has not started at ``now``."""
        return self.activity.status == ActivityStatus.PUBLISHED and self.starts_at > now

    @property
    def length_minutes(self) -> int:
        """How long the shift lasts: the most service minutes one sign-up can count."""
        return max(0, int((self.ends_at - self.starts_at).total_seconds() // 60))


class Shift(db.Model, ShiftState):
    """A time slot of an activity with its own volunteer capacity (e.g. the morning of a summer camp)."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=10)
    role: Mapped[str] = mapped_column(String(60), default="")

    activity: Mapped[Activity] = relationship(back_populates="shifts")
    signups: Mapped[list[Signup]] = relationship(back_populates="shift", order_by="Signup.queued_at")


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Signup(db.Model):
    """A volunteer on a shift: confirmed, waitlisted (in ``queued_at`` order) or cancelled; check-in times."""

    __tablename__ = "signups"
    # The last line of defence against a double sign-up; a re-sign-up after cancelling reuses the row.
    __table_args__ = (UniqueConstraint("shift_id", "user_id"),)
    # Set by ``sign_up`` on the sign-up it just made waitlisted: its place in line then (not a column).
    place_in_line = None  # type: int | None

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[SignupStatus] = mapped_column(str_enum(SignupStatus), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Minutes set by the coordinator when the check-in times are wrong; wins over the computed figure.
    minutes_override: Mapped[int | None] = mapped_column()
    is_no_show: Mapped[bool] = mapped_column(default=False)
    # ``service_minutes()`` of this sign-up, stored so reports can SUM it; kept exact on every flush (see below).
    minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the activity's time or place changed after this sign-up; shown on "my activities" until seen.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The volunteer answered a reminder with "I'll come".
    coming_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift] = relationship(back_populates="signups")
    user: Mapped[User] = relationship()

    @property
    def is_confirmed(self) -> bool:
        return self.status == SignupStatus.CONFIRMED

    def is_cancellable_by_volunteer(self, now: datetime) -> bool:
        """The volunteer may still cancel it themselves: it is live, the activity goes ahead and the shift has not
        started, and they have not checked in (after that, the coordinator takes them off the roster)."""
        return (
            self.status != SignupStatus.CANCELLED
            and self.checked_in_at is None
            and self.minutes_override is None
            and not self.shift.activity.is_cancelled
            and self.shift.starts_at > now
        )


def service_minutes(signup: Signup) -> int:
    """Minutes served: check-in to check-out clamped to the shift; no check-out counts the shift's end.

    The coordinator's correction wins. No check-in, no minutes.
    """
    if signup.minutes_override is not None:
        return signup.minutes_override
    if signup.checked_in_at is None or signup.status != SignupStatus.CONFIRMED:
        return 0
    shift = signup.shift
    start = max(signup.checked_in_at, shift.starts_at)
    end = min(signup.checked_out_at or shift.ends_at, shift.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


@event.listens_for(Session, "before_flush")
def _keep_minutes(session: Session, _context, _instances) -> None:
    """Recount ``Signup.minutes`` for every sign-up written, and for every sign-up of a shift whose times moved."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Signup):
            if obj.shift is None and obj.shift_id is not None:
                with session.no_autoflush:
                    obj.shift = session.get(Shift, obj.shift_id)
            if obj.shift is not None:
                obj.minutes = service_minutes(obj)
        elif isinstance(obj, Shift) and obj.id is not None:
            state = inspect(obj)
            if state.attrs.starts_at.history.has_changes() or state.attrs.ends_at.history.has_changes():
                with session.no_autoflush:
                    for signup in obj.signups:
                        signup.minutes = service_minutes(signup)


class TrainingParticipant(db.Model):
    """A child director the coordinator recorded among a training's participants (R6: trained this year)."""

    __tablename__ = "training_participants"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Certificate(db.Model):
    """A volunteer service certificate as issued: the hours and issuers are kept as they were that day, and a
    public page behind ``token`` confirms it is genuine (masked name, hours and issuers only)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    activity_minutes: Mapped[int] = mapped_column(default=0)
    mentoring_minutes: Mapped[int] = mapped_column(default=0)
    # Ids of the organizations whose activities and pairings the hours were served with.
    issuer_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
