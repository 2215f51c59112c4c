"""R3 over a year: the share of child-weeks with their contacts and of child-months with their home visits.

The rule is the one ``app.childcare.visits`` states for the due lists: each period is cut into windows by the child's
interval (one per period with the ordinary defaults, two with a risk flag), and a week (month) is *met* when every
window of it, from the one the child came on record in, holds a contact (a home visit). Which periods a year
judges, per child:

- its weeks are the ISO weeks of the year (a week belongs to the year its Thursday falls in, so no week is counted
  twice or lost at New Year); its months are January to December;
- from the week (month) the child came on record in (``Child.on_record_since``; a child on record before the year
  from the year's first);
- up to the last one that ended before today: the current week and month are in progress and not counted;
- a closed file up to the last one that ended before the day it was closed. Closed files count, so a child whose
  file was closed in the autumn still counts for the months they were on record.

Share = periods met / periods judged; children with a risk flag (as flagged today) are also counted on their own.

One aggregate statement, no visit read into Python. A child whose periods are one window each (the ordinary
defaults) meets a period with any visit in it: their distinct periods with a visit are counted per child. For the
others (a risk flag) the windows with a visit are counted per child and period against the windows asked for. The
children with the same groups, risk flag, start and closing day are summed before Python sees them; the periods
judged are arithmetic on those days.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, case, distinct, func, literal, select

from app.childcare.models import Child, ChildStatus, Visit, VisitKind
from app.childcare.visits import Policy, current_policy, has_risk_flag
from app.extensions import db
from app.sql import DayNumber, DayOfMonth, LocalDate, MonthNumber, MonthStart, WeekStart

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


def week_key(day: date) -> int:
    """A day's Monday-to-Sunday week, numbered from 1970-01-05 (a Monday): ``app.sql.WeekNumber`` in Python."""
    return ((day - EPOCH).days + 3) // 7


def month_key(day: date) -> int:
    return day.year * 12 + day.month


@dataclass(frozen=True)
class YearSpan:
    """The periods a year judges on ``today``: week and month keys, first to last inclusive (none when last <
    first), and the days they run over."""

    first_week: int
    last_week: int
    first_month: int
    last_month: int
    first_day: date
    last_day: date

    def periods(self, start: date, closed_on: date | None) -> tuple[int, int]:
        """(weeks, months) judged for a child on record since ``start`` whose file was closed on ``closed_on``."""
        last_week = self.last_week if closed_on is None else min(self.last_week, week_key(closed_on) - 1)
        last_month = self.last_month if closed_on is None else min(self.last_month, month_key(closed_on) - 1)
        return (
            max(0, last_week - max(self.first_week, week_key(start)) + 1),
            max(0, last_month - max(self.first_month, month_key(start)) + 1),
        )


def judged_span(year: int, today: date) -> YearSpan:
    first_monday = date.fromisocalendar(year, 1, 1)
    last_sunday = date.fromisocalendar(year + 1, 1, 1) - timedelta(days=1)
    return YearSpan(
        week_key(first_monday),
        min(week_key(last_sunday), week_key(today) - 1),
        year * 12 + 1,
        min(year * 12 + 12, month_key(today) - 1),
        min(first_monday, date(year, 1, 1)),
        max(last_sunday, date(year, 12, 31)),
    )


def _window(position, interval: int, count):
    """SQL: the window a day ``position`` days into its period falls in (0 first): ``position // interval``, the
    last of ``count`` windows taking the rest of the period."""
    if isinstance(count, int) and count == 1:
        return literal(0)
    return case((position >= (count - 1) * interval, count - 1), else_=position // interval)


@dataclass(frozen=True)
class _Calendar:
    """One kind of period in SQL: the key of a day's period, the number of windows of a day's period and the window
    of a day, for a child with or without a risk flag; the keys and days the year judges."""

    key: Callable
    count: Callable  # (day, risky) -> int or SQL
    window: Callable  # (day, risky) -> SQL
    first: int
    last: int
    first_day: date
    last_day: date
    start_of: Callable  # SQL: the first day of a day's period
    visit_condition: tuple = ()


def _weeks(policy: Policy, span: YearSpan) -> _Calendar:
    def interval(risky: bool) -> int:
        return policy.contact_days_risk if risky else policy.contact_days

    def key(day):
        return (DayNumber(day) + 3) // 7  # WeekNumber

    def count(_day, risky: bool) -> int:
        return max(1, 7 // interval(risky))

    def window(day, risky: bool):
        return _window((DayNumber(day) + 3) % 7, interval(risky), count(day, risky))  # Monday is 0

    monday = EPOCH + timedelta(days=span.first_week * 7 - 3)  # the first day of the week numbered first_week
    sunday = EPOCH + timedelta(days=span.last_week * 7 + 3)
    return _Calendar(key, count, window, span.first_week, span.last_week, monday, sunday, WeekStart)


def _months(policy: Policy, span: YearSpan) -> _Calendar:
    year = (span.first_month - 1) // 12  # first_month is January's key

    def interval(risky: bool) -> int:
        return policy.home_days_risk if risky else policy.home_days

    def count(day, risky: bool):
        per_month = {m: max(1, calendar.monthrange(year, m)[1] // interval(risky)) for m in range(1, 13)}
        if len(set(per_month.values())) == 1:
            return per_month[1]
        # A window count per month of the year (only the year's months are ever asked for).
        return case(*[(MonthNumber(day) == year * 12 + m, n) for m, n in per_month.items()], else_=1)

    def window(day, risky: bool):
        return _window(DayOfMonth(day) - 1, interval(risky), count(day, risky))

    last = span.last_month
    end = date((last - 1) // 12, (last - 1) % 12 + 1, 1)  # the first day of the month keyed last_month
    end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    home = (Visit.kind == VisitKind.HOME,)
    return _Calendar(MonthNumber, count, window, span.first_month, last, date(year, 1, 1), end, MonthStart, home)


def _pick(risky, make):
    """An expression per risk flag as one SQL expression (a plain number when both are the same number)."""
    yes, no = make(True), make(False)
    return yes if isinstance(yes, int) and yes == no else case((risky, yes), else_=no)


def _periods_met(children_query, periods: _Calendar) -> list:
    """Subqueries of (child_id, met) whose ``met`` add up, per child, to the periods judged in which every window
    asked for had a visit. A child whose period is one window (the ordinary defaults) meets a period with any visit
    in it: the distinct periods of their visits are counted per child, in the order of the index. Children whose
    periods hold several windows are counted per child and period."""
    since = Child.on_record_since
    starts_in = periods.key(since) >= periods.first
    risky = has_risk_flag()
    closed = (Child.status == ChildStatus.CLOSED) & Child.closed_at.is_not(None)
    first_day = literal(periods.first_day, Date)
    # Each child's flag, first period (its key and first day), first window asked for (the one they came on record
    # in, in their first period) and the first day of the period their file was closed in, worked out once per
    # child (the GROUP BY keeps SQLite from working them out again for every visit).
    every_child = children_query.with_only_columns(
        Child.id.label("id"),
        risky.label("risky"),
        case((starts_in, periods.key(since)), else_=periods.first).label("start"),
        case((since >= first_day, periods.start_of(since)), else_=first_day).label("from_day"),
        case((starts_in, _pick(risky, lambda r: periods.window(since, r))), else_=0).label("start_window"),
        case(
            (closed, periods.start_of(LocalDate(Child.closed_at))),
            else_=literal(periods.last_day + timedelta(days=1), Date),
        ).label("until_day"),
    ).group_by(Child.id)
    day = Visit.visited_on
    key = periods.key(day)
    single = {flag: isinstance(n, int) and n == 1 for flag in (True, False) for n in [periods.count(day, flag)]}

    def visits_of(flags: list[bool], columns: Callable):
        """The children with these risk flags joined to their visits that count, with ``columns(child)`` and its
        further join conditions. Every condition on the visit is in the join, so SQLite reads each child's visits
        from the index on (child_id, visited_on, kind) alone (a WHERE on them would turn the join round and fetch
        every visit's row)."""
        child = (every_child if len(flags) == 2 else every_child.where(risky if flags[0] else ~risky)).subquery()
        selected, conditions = columns(child)
        return (
            select(child.c.id.label("child_id"), *selected)
            .select_from(child)
            .outerjoin(
                Visit,
                and_(
                    Visit.child_id == child.c.id,
                    day >= child.c.from_day,
                    day <= periods.last_day,
                    day < child.c.until_day,
                    *periods.visit_condition,
                    *conditions,
                ),
            )
        )

    def distinct_periods(_child):
        return (func.count(distinct(key)).label("met"),), ()

    def windows(child):
        window = _pick(child.c.risky, lambda r: periods.window(day, r))
        count = _pick(child.c.risky, lambda r: periods.count(day, r))
        # NULL for a child without a visit (the outer join's empty row), so it never meets a period.
        need = case((key == child.c.start, count - child.c.start_window), (key > child.c.start, count))
        # The windows of the first period before the one the child came on record in are not asked for.
        later = (key > child.c.start) | (window >= child.c.start_window)
        return (key.label("period"), window.label("window"), need.label("need")), (later,)

    result = []
    one_window = [flag for flag in (True, False) if single[flag]]
    if one_window:
        rows = visits_of(one_window, distinct_periods)
        result.append(rows.group_by(rows.selected_columns.child_id).subquery())
    several = [flag for flag in (True, False) if not single[flag]]
    if several:
        visits = visits_of(several, windows).subquery()
        met = (
            select(visits.c.child_id)
            .group_by(visits.c.child_id, visits.c.period)
            .having(func.count(distinct(visits.c.window)) >= func.max(visits.c.need))
            .subquery()
        )
        result.append(select(met.c.child_id, func.count().label("met")).group_by(met.c.child_id).subquery())
    return result


def child_shares(
    year: int, today: date, children_query, breakdowns: Sequence[tuple[str, dict]]
) -> list[tuple[dict, dict]]:
    """For each breakdown ``(column, labels)`` — a ``Child`` column (town_id, village_id, director_id) and the
    labels of its values — ({label: Shares} for all children, {label: Shares} for children with a risk flag) in
    ``year`` as judged on ``today``; "__all__" holds the totals. One statement, whatever the number of breakdowns."""
    span = judged_span(year, today)
    tables: list[tuple[dict, dict]] = [(defaultdict(Shares), defaultdict(Shares)) for _ in breakdowns]
    if span.last_week < span.first_week and span.last_month < span.first_month:
        return tables
    policy = current_policy()
    weeks = _periods_met(children_query, _weeks(policy, span))
    months = _periods_met(children_query, _months(policy, span))

    def total(parts: list):
        return sum((func.coalesce(part.c.met, 0) for part in parts), literal(0))

    closed_on = LocalDate(Child.closed_at)
    groups = [getattr(Child, column).label(f"g{n}") for n, (column, _labels) in enumerate(breakdowns)]
    per_child = children_query.with_only_columns(
        *groups,
        has_risk_flag().label("risky"),
        case(
            (Child.on_record_since < literal(span.first_day, Date), literal(span.first_day, Date)),
            else_=Child.on_record_since,
        ).label("start"),
        case(
            (
                (Child.status == ChildStatus.CLOSED) & (closed_on <= literal(span.last_day, Date)),
                closed_on,
            ),
        ).label("closed_on"),
        total(weeks).label("weeks_met"),
        total(months).label("months_met"),
    )
    for part in [*weeks, *months]:
        per_child = per_child.outerjoin(part, part.c.child_id == Child.id)
    per_child = per_child.subquery()
    keys = [per_child.c[g.name] for g in groups] + [per_child.c.risky, per_child.c.start, per_child.c.closed_on]
    query = select(*keys, func.sum(per_child.c.weeks_met), func.sum(per_child.c.months_met)).group_by(*keys)
    width = len(breakdowns)
    for row in db.session.execute(query.add_columns(func.count())):
        group_values, (risk, start, closed, weeks_met, months_met, children) = row[:width], row[width:]
        weeks_due, months_due = span.periods(start, closed)
        if not (weeks_due or months_due):
            continue
        shares = Shares(children * weeks_due, int(weeks_met), children * months_due, int(months_met))
        for group, (_column, labels), (everyone, risky) in zip(group_values, breakdowns, tables, strict=True):
            for name in (labels.get(group, "—"), "__all__"):
                everyone[name].add(shares)
                if risk:
                    risky[name].add(shares)
    return tables
