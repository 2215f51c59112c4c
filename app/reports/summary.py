"""The same figures by town, by plan task, by month and year on year, for the summary page and its charts.

Each table is one grouping of the held activities (see ``queries``), counted by the database: the page costs a
fixed number of aggregate statements, whatever the amount of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.directory.models import Organization, OrganizationKind, Town
from app.extensions import db
from app.reports.periods import year_period
from app.reports.queries import KIND_ORDER, Figures, by_organizer, by_range, by_task, by_town, figures, overall

YEARS = (2024, 2025, 2026)


@dataclass
class Summary:
    year: int
    departments: list[tuple[Organization, int]]
    months: list[tuple[str, int]]
    tasks: list[tuple[int, Figures]]
    towns: list[tuple[Town, Figures]]
    years: list[int]
    totals: dict[int, Figures]
    year_rows: list[tuple[Organization, list[int]]]


def summary(year: int) -> Summary:
    chosen = year_period(year)
    counts = {y: figures(year_period(y), by_organizer, full=False) for y in sorted({*YEARS, year})}
    totals = {y: figures(year_period(y), overall).get(0, Figures()) for y in YEARS}
    monthly = figures(chosen, by_range([(m, date(year, m, 1)) for m in range(1, 13)]), full=False)
    by_town_figures = figures(chosen, by_town)
    by_task_figures = figures(chosen, by_task)
    organizations = sorted(
        db.session.scalars(select(Organization)), key=lambda o: (KIND_ORDER.index(o.kind), o.sort_order, o.name_zh)
    )
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    empty = Figures()
    year_rows = []
    for organization in organizations:
        row = [counts[y].get(organization.id, empty).activities for y in YEARS]
        if any(row):
            year_rows.append((organization, row))
    return Summary(
        year=year,
        departments=[
            (o, counts[year].get(o.id, empty).activities)
            for o in organizations
            if o.kind == OrganizationKind.COUNTY_BODY and o.is_active
        ],
        months=[(f"{year}-{m:02d}", monthly.get(m, empty).activities) for m in range(1, 13)],
        tasks=[(n, by_task_figures.get(n, empty)) for n in range(1, 19)],
        towns=[(t, by_town_figures.get(t.id, empty)) for t in towns],
        years=list(YEARS),
        totals=totals,
        year_rows=year_rows,
    )
