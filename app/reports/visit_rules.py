"""R3 over a year: the share of child-weeks with a contact and of child-months with a home visit.

A child counts from the week (month) their file was opened, up to today or the year's end; children with a risk
flag are also counted on their own. One aggregate query gives each child's weeks and months met; the weeks and
months due are arithmetic on the day the file was opened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Date, and_, case, distinct, func, literal, select

from app.childcare.models import Child, ChildStatus, Visit, VisitKind
from app.childcare.visits import has_risk_flag
from app.extensions import db
from app.sql import LocalDate, MonthKey, MonthStart, WeekNumber, WeekStart
from app.timeutils import local_to_utc

EPOCH = date(1970, 1, 1)


@dataclass
class Shares:
    weeks: int = 0
    weeks_met: int = 0
    months: int = 0
    months_met: int = 0

    @property
    def week_share(self) -> float | None:
        return self.weeks_met / self.weeks if self.weeks else None

    @property
    def month_share(self) -> float | None:
        return self.months_met / self.months if self.months else None

    def add(self, other: Shares) -> None:
        self.weeks += other.weeks
        self.weeks_met += other.weeks_met
        self.months += other.months
        self.months_met += other.months_met


def _week(day: date) -> int:
    """The Monday-to-Sunday week a day falls in, numbered from 1970-01-05 (a Monday)."""
    return ((day - EPOCH).days + 3) // 7


def _month(day: date) -> int:
    return day.year * 12 + day.month


def child_shares(
    year: int, today: date, children_query, breakdowns: Sequence[tuple[str, dict]]
) -> list[tuple[dict, dict]]:
    """For each breakdown ``(column, labels)`` — a ``Child`` column (town_id, village_id, director_id) and the
    labels of its values — ({label: Shares} for all children, {label: Shares} for children with a risk flag) in
    ``year``; "__all__" holds the totals. One query, whatever the number of breakdowns."""
    first = date(year, 1, 1)
    last = min(date(year, 12, 31), today - timedelta(days=1))
    tables: list[tuple[dict, dict]] = [(defaultdict(Shares), defaultdict(Shares)) for _ in breakdowns]
    if last < first:
        return tables
    # The last whole week and the last month counted (a month counts once its 28th has passed).
    last_sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    last_month = _month(last) if last.day >= 28 else _month(last) - 1
    month_end = last if last.day >= 28 else last.replace(day=1) - timedelta(days=1)
    # A visit before the file was opened does not count; only files opened this year need the test.
    opened = LocalDate(Child.created_at)
    opened_before = Child.created_at < local_to_utc(first, time(0))
    groups = [getattr(Child, column).label(f"g{n}") for n, (column, _labels) in enumerate(breakdowns)]
    # Per child: the weeks with a contact and the months with a home visit, the day counting starts, a risk flag.
    per_child = (
        children_query.with_only_columns(
            *groups,
            has_risk_flag().label("risky"),
            case((opened_before, literal(first, Date)), else_=opened).label("start"),
            func.count(
                distinct(
                    case(
                        (
                            (Visit.visited_on <= last_sunday)
                            & (opened_before | (Visit.visited_on >= WeekStart(opened))),
                            WeekNumber(Visit.visited_on),
                        )
                    )
                )
            ).label("weeks_met"),
            func.count(
                distinct(
                    case(
                        (
                            (Visit.kind == VisitKind.HOME)
                            & (Visit.visited_on <= month_end)
                            & (opened_before | (Visit.visited_on >= MonthStart(opened))),
                            MonthKey(Visit.visited_on),
                        )
                    )
                )
            ).label("months_met"),
        )
        .outerjoin(Visit, and_(Visit.child_id == Child.id, Visit.visited_on >= first, Visit.visited_on <= last))
        .where(Child.status == ChildStatus.ACTIVE)
        .group_by(Child.id)
        .subquery()
    )
    # Children with the same groups, start day and flag are due the same weeks and months: sum them in SQL.
    keys = [per_child.c[g.name] for g in groups] + [per_child.c.risky, per_child.c.start]
    query = select(*keys, func.count(), func.sum(per_child.c.weeks_met), func.sum(per_child.c.months_met)).group_by(
        *keys
    )
    width = len(breakdowns)
    for row in db.session.execute(query):
        group_values, (risk, start, children, weeks_met, months_met) = row[:width], row[width:]
        start = max(first, start)
        if start > last:
            continue
        shares = Shares(
            weeks=children * max(0, _week(last_sunday) - _week(start) + 1),
            weeks_met=int(weeks_met),
            months=children * max(0, last_month - _month(start) + 1),
            months_met=int(months_met),
        )
        for group, (_column, labels), (everyone, risky) in zip(group_values, breakdowns, tables, strict=True):
            for name in (labels.get(group, "—"), "__all__"):
                everyone[name].add(shares)
                if risk:
                    risky[name].add(shares)
    return tables
