"""The child's file and its timeline entries. Sensitive personal information of minors: see app/permissions.py."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.activities.models import Activity
from app.auth.models import User
from app.db_types import UTCDateTime, str_enum, utcnow
from app.directory.models import Organization, Town, Village
from app.extensions import db
from app.timeutils import to_local


def local_today() -> date:
    """Today in Feng County (the default of dates a person enters)."""
    return to_local(utcnow()).date()


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class ChildCategory(StrEnum):
    LEFT_BEHIND = "left_behind"
    ORPHAN = "orphan"
    UNSUPPORTED = "unsupported"
    DISABLED = "disabled"
    SERIOUSLY_ILL = "seriously_ill"
    LOW_INCOME = "low_income"
    OTHER_DIFFICULTY = "other_difficulty"


class RiskFlag(StrEnum):
    """R3: children who need visits more often."""

    PARENT_DISABILITY = "parent_disability"
    CHILD_DISABILITY = "child_disability"
    BEHAVIOUR = "behaviour"


class ChildStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class CloseReason(StrEnum):
    TURNED_18 = "turned_18"
    PARENTS_RETURNED = "parents_returned"
    MOVED_AWAY = "moved_away"
    AGE_LIMIT = "age_limit"  # a left-behind child at 16, a child in difficulty at 18
    OTHER = "other_reason"


class Child(db.Model):
    """A child on file. The resident ID number is stored whole and shown masked to all but who may see it."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[Gender] = mapped_column(str_enum(Gender))
    birth_date: Mapped[date] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    grade: Mapped[str] = mapped_column(String(30), default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    father_name: Mapped[str] = mapped_column(String(40), default="")
    mother_name: Mapped[str] = mapped_column(String(40), default="")
    guardian_name: Mapped[str] = mapped_column(String(40), default="")
    guardian_relation: Mapped[str] = mapped_column(String(20), default="")
    guardian_phone: Mapped[str] = mapped_column(String(20), default="")
    parents_workplace: Mapped[str] = mapped_column(String(120), default="")
    caregiver_name: Mapped[str] = mapped_column(String(40), default="")
    director_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[ChildStatus] = mapped_column(str_enum(ChildStatus), default=ChildStatus.ACTIVE, index=True)
    close_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the child has been on the county's books (entered or imported; default the day the row was made):
    # R3 counts visits from this day, so an imported history is judged, not dropped.
    on_record_since: Mapped[date] = mapped_column(Date, default=local_today)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    town: Mapped[Town] = relationship()
    village: Mapped[Village] = relationship()
    school: Mapped[Organization | None] = relationship()
    director: Mapped[User | None] = relationship()

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class VisitKind(StrEnum):
    PHONE = "phone"
    VIDEO = "video"
    HOME = "home"


class Visit(db.Model):
    """A contact with the child or family (phone, video) or a home visit (入户走访), with what was found."""

    __tablename__ = "visits"
    # A child's visits in date order, kind included: R3's figures read this index alone.
    __table_args__ = (Index("ix_visits_child_day", "child_id", "visited_on", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    kind: Mapped[VisitKind] = mapped_column(str_enum(VisitKind))
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    caregiver_ability: Mapped[str] = mapped_column(Text, default="")  # task 5
    psychological_needs: Mapped[str] = mapped_column(Text, default="")  # task 2
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class WorkLogEntry(db.Model):
    """工作日志: a dated note about the child's case."""

    __tablename__ = "work_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    logged_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class CareKind(StrEnum):
    RELIEF_DIBAO = "relief_dibao"
    RELIEF_TEKUN = "relief_tekun"
    RELIEF_TEMPORARY = "relief_temporary"
    REHABILITATION = "rehabilitation"
    EDUCATION_SUPPORT = "education_support"
    COUNSELLING = "counselling"
    OTHER = "other_care"


class CareAction(db.Model):
    """关爱帮扶记录: relief enrolment, rehabilitation, education support, counselling referral..."""

    __tablename__ = "care_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[CareKind] = mapped_column(str_enum(CareKind))
    acted_on: Mapped[date] = mapped_column(Date)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship()
    author: Mapped[User] = relationship()


class ProblemSource(StrEnum):
    """Where a problem was raised: on the file itself, at a visit, an activity, a mentoring session or a check."""

    FILE = "file"
    VISIT = "visit"
    ACTIVITY = "activity"
    MENTORING = "mentoring"
    CHECK = "check"


class ProblemStatus(StrEnum):
    OPEN = "open"
    IN_HAND = "in_hand"
    RESOLVED = "resolved"


class Problem(db.Model):
    """发现问题和解决方案: a problem found, who handles it, and how it was solved."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    found_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ProblemStatus] = mapped_column(str_enum(ProblemStatus), default=ProblemStatus.OPEN, index=True)
    handler: Mapped[str] = mapped_column(String(80), default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    resolved_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[ProblemSource] = mapped_column(
        str_enum(ProblemSource), default=ProblemSource.FILE, server_default=ProblemSource.FILE.value
    )
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    mentoring_session_id: Mapped[int | None] = mapped_column(ForeignKey("mentoring_sessions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship()
    activity: Mapped[Activity | None] = relationship()


class CheckLevel(StrEnum):
    COUNTY_SPOT = "county_spot"
    TOWN_FULL = "town_full"


class FileCheck(db.Model):
    """R4: the county's yearly spot check or the town's yearly full check of a file."""

    __tablename__ = "file_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    level: Mapped[CheckLevel] = mapped_column(str_enum(CheckLevel))
    checked_on: Mapped[date] = mapped_column(Date)
    passed: Mapped[bool] = mapped_column(default=True)
    remarks: Mapped[str] = mapped_column(Text, default="")
    checker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checker: Mapped[User] = relationship()


class ActivityRegistration(db.Model):
    """A child director signs a child of their villages up for an upcoming activity (within its expected number)."""

    __tablename__ = "activity_registrations"
    __table_args__ = (UniqueConstraint("activity_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()


class Attendance(db.Model):
    """A child was at an activity: written on the child's file and counted as a child reached."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("activity_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    concern: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    marked_by: Mapped[User] = relationship()
    activity: Mapped[Activity] = relationship()


class VisitPolicy(db.Model):
    """The county's R3 visit intervals and how long a problem may stay open before the town supervisor hears of it,
    set by the administrator (the newest row wins; the plan's defaults until there is one)."""

    __tablename__ = "visit_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_days: Mapped[int] = mapped_column()
    home_days: Mapped[int] = mapped_column()
    home_days_risk: Mapped[int] = mapped_column()
    contact_days_risk: Mapped[int] = mapped_column(server_default="3")
    problem_escalation_days: Mapped[int] = mapped_column(server_default="7")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChildImport(db.Model):
    """An uploaded file of children: a large one waiting for or imported by the job, or one waiting for its uploader
    to confirm possible duplicates (rows without an ID number that match a file by name, date of birth and village).
    A held upload is deleted once applied or abandoned; a job's keeps its outcome (``result``) for its page, the file
    itself (``content``) dropped once no choice waits on it."""

    __tablename__ = "child_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A large upload is imported by a job: queued, running (phase, done of total), then done or failed; a small one,
    # or one waiting for the uploader's choices on possible duplicates, is "held".
    status: Mapped[str] = mapped_column(String(16), default="held", server_default="held")
    phase: Mapped[str] = mapped_column(String(16), default="", server_default="")
    done: Mapped[int] = mapped_column(default=0, server_default="0")
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    result: Mapped[dict | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
