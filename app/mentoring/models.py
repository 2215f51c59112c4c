"""Pairings of a mentor with a child, and the sessions the mentor logs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.childcare.models import Child
from app.db_types import UTCDateTime, str_enum, utcnow
from app.directory.models import Organization
from app.extensions import db


class PairingKind(StrEnum):
    ACADEMIC = "academic"  # 学业一对一
    CARING_MOTHER = "caring_mother"  # 爱心妈妈
    COMPANION = "companion"  # 陪伴


class ConsentMethod(StrEnum):
    WRITTEN = "written"
    IN_PERSON = "in_person"
    PHONE = "phone"


class PairingStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class PairingEndCause(StrEnum):
    """Why a pairing ended when nobody ended it by hand (the coordinator is told)."""

    MENTOR_DELETED = "mentor_deleted"


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class PairingProposal(db.Model):
    """A child director proposes a child of their villages to an organization for a mentor: the only way a
    coordinator gets to choose a child (R9: coordinators never search the county's files)."""

    __tablename__ = "pairing_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[PairingKind] = mapped_column(str_enum(PairingKind))
    # What the director chooses to tell the organization; it becomes the pairing's shared needs.
    needs: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus), default=ProposalStatus.OPEN, index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    organization: Mapped[Organization] = relationship()
    proposed_by: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN


class Pairing(db.Model):
    """A mentor screened by an organization paired with a child, with the guardian's recorded consent."""

    __tablename__ = "pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[PairingKind] = mapped_column(str_enum(PairingKind))
    started_on: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    goal: Mapped[str] = mapped_column(Text, default="")
    # What the coordinator chose to tell the mentor; the mentor never sees the file.
    shared_needs: Mapped[str] = mapped_column(Text, default="")
    consent_by: Mapped[str] = mapped_column(String(40))
    consent_on: Mapped[date] = mapped_column(Date)
    consent_method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod))
    status: Mapped[PairingStatus] = mapped_column(str_enum(PairingStatus), default=PairingStatus.ACTIVE, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(300), default="")
    end_cause: Mapped[PairingEndCause | None] = mapped_column(str_enum(PairingEndCause))
    # When a coordinator took note of a pairing the system ended (until then it is on their list).
    end_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    organization: Mapped[Organization] = relationship()
    sessions: Mapped[list[MentoringSession]] = relationship(
        back_populates="pairing", order_by="MentoringSession.held_on.desc()"
    )

    @property
    def is_ongoing(self) -> bool:
        return self.status == PairingStatus.ACTIVE

    @property
    def needs_noting(self) -> bool:
        """Ended by the system (its mentor's account was deleted) and not yet noted by a coordinator."""
        return self.end_cause is not None and self.end_noted_at is None


class MentoringSession(db.Model):
    """One meeting, logged by the mentor from a phone: it counts as service hours and as tasks 10/11 activity."""

    __tablename__ = "mentoring_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column()
    what_was_done: Mapped[str] = mapped_column(Text)
    worry: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pairing: Mapped[Pairing] = relationship(back_populates="sessions")
