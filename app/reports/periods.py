"""Reporting periods in Feng County time: years, quarters, months, vacations, the plan's stages, any range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain import DomainError
from app.timeutils import local_to_utc

# The plan's stages (DIGEST): launch Feb–Mar 2024, push Mar 2024 – Dec 2025, consolidate Jan–Oct 2026.
STAGES = {
    "launch": (date(2024, 2, 1), date(2024, 3, 31), _l("Launch stage (Feb–Mar 2024)")),
    "push": (date(2024, 3, 1), date(2025, 12, 31), _l("Push stage (Mar 2024 – Dec 2025)")),
    "consolidate": (date(2026, 1, 1), date(2026, 10, 31), _l("Consolidation stage (Jan–Oct 2026)")),
}
# School vacations used until the administrator sets the year's own dates.
SUMMER = ((7, 1), (8, 31))
WINTER = ((1, 15), (2, 20))


# The years a report may ask for; anything outside falls back to the current year (dates near year 1 or 9999 would
# overflow when turned into times).
YEARS = range(2000, 2101)
# The years whose vacation dates the administrator sets (the plan's and after).
PLAN_YEARS = range(2024, 2101)


def parse_year(value, today: date) -> int:
    """A report's year from the query string: the current year unless it is a number in ``YEARS``."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today.year
    return year if year in YEARS else today.year


def parse_day(value, default: date | None) -> date | None:
    """An ISO date from the query string within ``YEARS``, else ``default``."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if day.year in YEARS else default


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` inclusive; an activity belongs to the period its start falls in (Beijing time)."""

    kind: str
    first: date
    last: date
    title: str

    @property
    def calendar_year(self) -> int | None:
        """The year, when the period is exactly one calendar year."""
        if self.first == date(self.first.year, 1, 1) and self.last == date(self.first.year, 12, 31):
            return self.first.year
        return None

    @property
    def starts_at(self) -> datetime:
        return local_to_utc(self.first, time(0, 0))

    @property
    def ends_before(self) -> datetime:
        return local_to_utc(self.last + timedelta(days=1), time(0, 0))

    def query_args(self) -> dict[str, str]:
        return {"period": "range", "from": self.first.isoformat(), "to": self.last.isoformat()}


def parse_period(args, today: date) -> Period:
    """The period a report's query string asks for; the current year when it asks for nothing valid."""
    kind = args.get("period", "year")
    year = parse_year(args.get("year"), today)
    if kind == "quarter":
        quarter = min(max(args.get("quarter", type=int) or 1, 1), 4)
        first = date(year, 3 * quarter - 2, 1)
        last = (date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - timedelta(days=1)
        return Period("quarter", first, last, _("%(year)d Q%(quarter)d", year=year, quarter=quarter))
    if kind == "month":
        month = min(max(args.get("month", type=int) or 1, 1), 12)
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        return Period("month", first, last, f"{year}-{month:02d}")
    if kind in ("summer", "winter"):
        first, last = vacation(year, kind)
        title = (
            _("%(year)d summer vacation", year=year) if kind == "summer" else _("%(year)d winter vacation", year=year)
        )
        return Period(kind, first, last, title)
    if kind in STAGES:
        first, last, title = STAGES[kind]
        return Period(kind, first, last, str(title))
    if kind == "range":
        first, last = parse_day(args.get("from"), None), parse_day(args.get("to"), None)
        if first and last and first <= last:
            return Period("range", first, last, f"{first.isoformat()} – {last.isoformat()}")
    return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))


def vacation(year: int, kind: str) -> tuple[date, date]:
    """The first and last day of the year's ``summer`` or ``winter`` vacation: the administrator's dates, or the
    usual ones."""
    from sqlalchemy import select

    from app.extensions import db
    from app.reports.models import VacationDates

    dates = db.session.scalar(select(VacationDates).where(VacationDates.year == year))
    if dates is not None:
        return (dates.summer_first, dates.summer_last) if kind == "summer" else (dates.winter_first, dates.winter_last)
    (m1, d1), (m2, d2) = SUMMER if kind == "summer" else WINTER
    return date(year, m1, d1), date(year, m2, d2)


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))


class VacationError(DomainError):
    """Vacation dates that cannot be right."""


def save_vacation_dates(year: int, winter: tuple[date, date], summer: tuple[date, date], *, by) -> None:
    """Set the year's winter and summer school vacations (R2 and the vacation reports use them): each ends on or
    after its start and starts in the year chosen, and the winter vacation ends before the summer one starts.
    Audited with the dates before and after."""
    from sqlalchemy import select

    from app.audit.services import record
    from app.extensions import db
    from app.reports.models import VacationDates

    if year not in PLAN_YEARS:
        raise VacationError(
            "bad_year",
            _("Choose a year from %(first)d to %(last)d.", first=PLAN_YEARS[0], last=PLAN_YEARS[-1]),
            field="year",
        )
    for (first, last), first_field, last_field in (
        (winter, "winter_first", "winter_last"),
        (summer, "summer_first", "summer_last"),
    ):
        if first.year != year:
            raise VacationError("wrong_year", _("The vacation must start in the year chosen."), field=first_field)
        if last < first:
            raise VacationError("end_before_start", _("The vacation must end after it starts."), field=last_field)
    if winter[1] >= summer[0]:
        raise VacationError(
            "overlap", _("The winter vacation must end before the summer vacation starts."), field="winter_last"
        )
    dates = db.session.scalar(select(VacationDates).where(VacationDates.year == year))
    before = vacation(year, "winter") + vacation(year, "summer")
    if dates is None:
        dates = VacationDates(year=year)
        db.session.add(dates)
    dates.winter_first, dates.winter_last = winter
    dates.summer_first, dates.summer_last = summer
    db.session.flush()
    record(
        "settings.vacations",
        dates,
        actor=by,
        year=year,
        before=[day.isoformat() for day in before],
        after=[day.isoformat() for day in (*winter, *summer)],
    )
