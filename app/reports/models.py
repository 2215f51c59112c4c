"""Towns' yearly progress reports (R8: to the county bureau before 1 November)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db_types import UTCDateTime, utcnow
from app.directory.models import Town
from app.extensions import db

DEADLINE = (11, 1)  # submitted before 1 November


class ProgressReport(db.Model):
    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("town_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    year: Mapped[int] = mapped_column()
    achievements: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    next_measures: Mapped[str] = mapped_column(Text, default="")
    # The latest submission; cleared while the bureau has returned the report for revision.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The first submission, kept through returns: what R8's deadline is judged on.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The bureau's last return for revision, and why (shown to the town).
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    town: Mapped[Town] = relationship()
    submitted_by: Mapped[User | None] = relationship()

    @property
    def deadline(self) -> date:
        return date(self.year, *DEADLINE)


class VacationDates(db.Model):
    """The year's school winter and summer vacations, set by the administrator (R2 and the vacation reports)."""

    __tablename__ = "vacation_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    winter_first: Mapped[date] = mapped_column()
    winter_last: Mapped[date] = mapped_column()
    summer_first: Mapped[date] = mapped_column()
    summer_last: Mapped[date] = mapped_column()


class YearlyReach(db.Model):
    """Children reached (unique, from attendance) in a calendar year (Beijing time), per organization, town, plan
    task and for the whole county (key 0).

    The figures the yearly reports cannot add up from smaller ones and that cost most to count live over a large
    deployment's year. ``app.reports.reach`` keeps them exact: any change to an attendance or to a held activity
    recounts the rows it touches from the source rows.
    """

    __tablename__ = "yearly_reach"

    grouping: Mapped[str] = mapped_column(String(16), primary_key=True)  # organization, town, task, county
    key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    children: Mapped[int] = mapped_column(default=0)
