"""The same figures by town, by plan task, by month and year on year, for the summary page and its charts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.directory.models import Town
from app.extensions import db
from app.reports.periods import Period
from app.reports.queries import Tally, department_report, tally
from app.timeutils import to_local

YEARS = (2024, 2025, 2026)


def by_town(period: Period) -> list[tuple[Town, Tally]]:
    tallies = tally(period, lambda a, _co: {a.town_id} if a.town_id else set())
    return [
        (town, tallies.get(town.id) or Tally()) for town in db.session.scalars(select(Town).order_by(Town.sort_order))
    ]


def by_task(period: Period) -> list[tuple[int, Tally]]:
    tallies = tally(period, lambda a, _co: set(a.plan_tasks or []))
    return [(task, tallies.get(task) or Tally()) for task in range(1, 19)]


def by_month(period: Period) -> list[tuple[str, int]]:
    tallies = tally(period, lambda a, _co: {to_local(a.starts_at).strftime("%Y-%m")})
    months = []
    day = period.first.replace(day=1)
    while day <= period.last and len(months) < 36:
        key = day.strftime("%Y-%m")
        months.append((key, len(tallies[key].activities) if key in tallies else 0))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


def year_on_year() -> tuple[list[int], list[tuple[object, list[int]]], dict[int, Tally]]:
    """Activities held per organization in each plan year, and the county's totals per year."""
    totals = {}
    per_org: dict[int, dict[int, int]] = {}
    organizations = {}
    for year in YEARS:
        period = Period("year", date(year, 1, 1), date(year, 12, 31), str(year))
        for row in department_report(period):
            organizations[row.organization.id] = row.organization
            per_org.setdefault(row.organization.id, {})[year] = len(row.activities)
        totals[year] = tally(period, lambda _a, _co: {"all"}).get("all") or Tally()
    rows = [
        (organizations[o], [counts.get(y, 0) for y in YEARS]) for o, counts in per_org.items() if any(counts.values())
    ]
    return list(YEARS), rows, totals
