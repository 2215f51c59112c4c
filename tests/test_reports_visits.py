"""R3 over a year: child-weeks with a contact and child-months with a home visit, counted by hand."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from app.auth.models import Role
from app.childcare.models import Child, Visit, VisitKind
from app.extensions import db
from tests.conftest import Auth


def test_weeks_and_months_met_in_a_past_year(app, make):
    village = make.village(name_zh="走访村", name_en="Visit Village")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, created_at=datetime(2025, 1, 1, 2, tzinfo=UTC))
    risky = make.child(village.id, risk_flags=["behaviour"], created_at=datetime(2025, 1, 1, 2, tzinfo=UTC))
    with app.app_context():
        for day, kind in (
            (date(2025, 1, 2), VisitKind.PHONE),
            (date(2025, 3, 10), VisitKind.HOME),
            (date(2025, 3, 20), VisitKind.HOME),
        ):
            db.session.add(Visit(child_id=child.id, kind=kind, visited_on=day, findings="x", author_id=director.id))
        db.session.commit()
        assert db.session.get(Child, risky.id).risk_flags
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    page = html.unescape(supervisor.client.get("/reports/visits?year=2025&lang=en").get_data(as_text=True))
    # Both children: 52 weeks and 12 months each; only the first was contacted (3 weeks) and visited (March).
    page = re.sub(r">\s+<", "><", page)
    assert "<td>Visit Village</td><td>3/104 (3%)</td><td>1/24 (4%)</td><td>0% / 0%</td>" in page
    volunteer = Auth(app.test_client())
    volunteer.login(make.user().username)
    assert volunteer.client.get("/reports/visits").status_code == 403


def _recount(children, visits, year: int, today: date) -> dict:
    """The rule spelled out day by day, as a reference: each child from the week (month) their file opened."""
    from datetime import timedelta

    from app.timeutils import to_local

    first, last = date(year, 1, 1), min(date(year, 12, 31), today - timedelta(days=1))
    totals = [0, 0, 0, 0]
    for child in children:
        opened = max(first, to_local(child.created_at).date())
        if opened > last:
            continue
        days = [opened - timedelta(days=opened.weekday()) + timedelta(n) for n in range(380)]
        mondays = [d for d in days if d.weekday() == 0 and d + timedelta(days=6) <= last]
        seen = {
            v.visited_on - timedelta(days=v.visited_on.weekday())
            for v in visits
            if v.child_id == child.id and first <= v.visited_on <= last
        }
        months = [m for m in range(opened.month, 13) if date(year, m, 28) <= last]
        homes = {
            v.visited_on.month
            for v in visits
            if v.child_id == child.id and v.kind == VisitKind.HOME and first <= v.visited_on <= last
        }
        totals[0] += len(mondays)
        totals[1] += sum(1 for m in mondays if m in seen)
        totals[2] += len(months)
        totals[3] += sum(1 for m in months if m in homes)
    return totals


def test_shares_equal_a_day_by_day_recount(app, make):
    """Files opened mid-year (some late in the UTC evening, i.e. the next day in Feng County), visits before a
    file opened, in the unfinished last week and across years: the SQL agrees with the rule counted by hand."""
    import random

    from sqlalchemy import select

    from app.reports.visit_rules import child_shares

    rng = random.Random(5)
    village = make.village(name_zh="核对村")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    opened = [datetime(2024, 6, 1, tzinfo=UTC)] + [
        datetime(2025, 1, 1, tzinfo=UTC) + (datetime(2025, 1, 2) - datetime(2025, 1, 1)) * rng.randrange(0, 330)
        for _ in range(11)
    ]
    children = [
        make.child(village.id, created_at=moment.replace(hour=rng.choice([0, 15, 16, 23])), risk_flags=[])
        for moment in opened
    ]
    with app.app_context():
        for _ in range(400):
            day = date(2024, 12, 20) + (date(2024, 12, 21) - date(2024, 12, 20)) * rng.randrange(0, 400)
            db.session.add(
                Visit(
                    child_id=rng.choice(children).id,
                    kind=rng.choice(list(VisitKind)),
                    visited_on=day,
                    findings="",
                    author_id=director.id,
                )
            )
        db.session.commit()
        everyone = db.session.scalars(select(Child).where(Child.village_id == village.id)).all()
        visits = db.session.scalars(select(Visit)).all()
    for today in (date(2025, 8, 14), date(2025, 8, 18), date(2025, 12, 29), date(2026, 3, 1)):
        with app.test_request_context():
            ((shares, _risky),) = child_shares(2025, today, select(Child), [("village_id", {village.id: "核对村"})])
        s = shares["核对村"]
        assert [s.weeks, s.weeks_met, s.months, s.months_met] == _recount(everyone, visits, 2025, today), today
