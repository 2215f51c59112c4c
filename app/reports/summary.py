"""The same figures by town, by plan task, by month and year on year, for the summary page and its charts.

One tally per plan year does it all: every activity is counted under compound keys — ("org", id) for its
organizers, ("town", id), ("task", n), ("month", "2026-07") and ("all",) — so the page costs three passes, not ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.directory.models import Organization, OrganizationKind, Town
from app.extensions import db
from app.reports.periods import Period
from app.reports.queries import KIND_ORDER, Tally, tally
from app.timeutils import to_local

YEARS = (2024, 2025, 2026)


def _keys(activity, co_organizers) -> set[tuple]:
    keys = {("all",), ("month", to_local(activity.starts_at).strftime("%Y-%m"))}
    keys |= {("org", org_id) for org_id in {activity.organization_id} | co_organizers}
    keys |= {("task", task) for task in activity.plan_tasks or []}
    if activity.town_id:
        keys.add(("town", activity.town_id))
    return keys


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))


@dataclass
class Summary:
    year: int
    departments: list[tuple[Organization, int]]
    months: list[tuple[str, int]]
    tasks: list[tuple[int, Tally]]
    towns: list[tuple[Town, Tally]]
    years: list[int]
    totals: dict[int, Tally]
    year_rows: list[tuple[Organization, list[int]]]


def summary(year: int) -> Summary:
    tallies = {y: tally(year_period(y), _keys) for y in sorted({*YEARS, year})}
    chosen = tallies[year]
    organizations = sorted(
        db.session.scalars(select(Organization)), key=lambda o: (KIND_ORDER.index(o.kind), o.sort_order, o.name_zh)
    )
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    empty = Tally()
    months = [
        (f"{year}-{m:02d}", len(chosen.get(("month", f"{year}-{m:02d}"), empty).activities)) for m in range(1, 13)
    ]
    year_rows = []
    for organization in organizations:
        counts = [len(tallies[y].get(("org", organization.id), empty).activities) for y in YEARS]
        if any(counts):
            year_rows.append((organization, counts))
    return Summary(
        year=year,
        departments=[
            (o, len(chosen.get(("org", o.id), empty).activities))
            for o in organizations
            if o.kind == OrganizationKind.COUNTY_BODY and o.is_active
        ],
        months=months,
        tasks=[(n, chosen.get(("task", n), empty)) for n in range(1, 19)],
        towns=[(t, chosen.get(("town", t.id), empty)) for t in towns],
        years=list(YEARS),
        totals={y: tallies[y].get(("all",), empty) for y in YEARS},
        year_rows=year_rows,
    )
