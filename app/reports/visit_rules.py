"""R3 over a year: the share of child-weeks with a contact and of child-months with a home visit.

A child counts from the week (month) their file was opened, up to today or the year's end; children with a risk
flag are also counted on their own. Two queries, then arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.childcare.models import Child, ChildStatus, Visit, VisitKind
from app.extensions import db
from app.timeutils import to_local


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


def _weeks(first: date, last: date) -> list[date]:
    """Mondays of the weeks that end within [first, last]."""
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday + timedelta(days=6) <= last:
        if monday + timedelta(days=6) >= first:
            weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def child_shares(year: int, today: date, children_query, key) -> tuple[dict, dict]:
    """({group: Shares} for all children, {group: Shares} for children with a risk flag) for ``year``."""
    last = min(date(year, 12, 31), today - timedelta(days=1))
    first = date(year, 1, 1)
    children = list(db.session.scalars(children_query.where(Child.status == ChildStatus.ACTIVE)))
    ids = [c.id for c in children]
    contacts: dict[int, set[date]] = defaultdict(set)
    homes: dict[int, set[tuple[int, int]]] = defaultdict(set)
    if ids:
        for child_id, kind, day in db.session.execute(
            select(Visit.child_id, Visit.kind, Visit.visited_on).where(
                Visit.child_id.in_(ids), Visit.visited_on >= first, Visit.visited_on <= last
            )
        ):
            contacts[child_id].add(day - timedelta(days=day.weekday()))
            if kind == VisitKind.HOME:
                homes[child_id].add((day.year, day.month))
    everyone: dict = defaultdict(Shares)
    risky: dict = defaultdict(Shares)
    for child in children:
        opened = max(first, to_local(child.created_at).date())
        if opened > last:
            continue
        weeks = _weeks(opened, last)
        months = [(opened.year, m) for m in range(opened.month, 13) if date(opened.year, m, 28) <= last]
        shares = Shares(
            weeks=len(weeks),
            weeks_met=sum(1 for w in weeks if w in contacts[child.id]),
            months=len(months),
            months_met=sum(1 for m in months if m in homes[child.id]),
        )
        group = key(child)
        everyone[group].add(shares)
        everyone["__all__"].add(shares)
        if child.risk_flags:
            risky[group].add(shares)
            risky["__all__"].add(shares)
    return everyone, risky
