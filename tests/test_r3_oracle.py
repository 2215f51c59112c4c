"""R3 counted day by day from the plan's words, independently of the code, on random data, against the pages.

The plan (task 8): a child director contacts each child at least once a week and visits the home at least once a
month, more often where a parent or the child has a disability or the child a psychological or behavioural
abnormality. Shouhu's reading (``app.childcare.visits``): more often means each week (month) is cut into parts of
the policy's number of days, from its first day, the last part running to its end; each part needs a contact (any
visit) or a home visit. This file spells that out with plain calendar arithmetic — lists of days, nothing from the
code's week or month helpers — and compares it with the visits report, the compliance figures and the due lists.
"""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from app.auth.models import Role
from app.childcare.models import Child, ChildStatus, CloseReason, Gender, Visit, VisitKind
from app.childcare.services import today as feng_today
from app.extensions import db
from tests.conftest import Auth

ONE_DAY = timedelta(days=1)


def days_between(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        days.append(day)
        day += ONE_DAY
    return days


def parts(days: list[date], interval: int) -> list[list[date]]:
    """A period's days cut into parts of ``interval`` days from its first day, the last part taking the rest."""
    count = max(1, len(days) // interval)
    return [days[n * interval : (n + 1) * interval] for n in range(count - 1)] + [days[(count - 1) * interval :]]


def weeks_of(year: int) -> list[list[date]]:
    """The year's weeks, Monday to Sunday: those whose Thursday falls in the year."""
    day = date(year - 1, 12, 20)
    while day.weekday() != 0:
        day += ONE_DAY
    weeks = []
    while day.year <= year + 1:
        week = days_between(day, day + timedelta(days=6))
        if week[3].year == year:
            weeks.append(week)
        day += timedelta(days=7)
    return weeks


def months_of(year: int) -> list[list[date]]:
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        months.append(days_between(first, following - ONE_DAY))
    return months


def local_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + timedelta(hours=8)).date()  # Feng County: UTC+8 all year


def by_child(visits) -> dict[int, tuple[set[date], set[date]]]:
    """Each child's days with a contact (any visit) and days with a home visit."""
    days: dict[int, tuple[set[date], set[date]]] = {}
    for visit in visits:
        contacts, homes = days.setdefault(visit.child_id, (set(), set()))
        contacts.add(visit.visited_on)
        if visit.kind == VisitKind.HOME:
            homes.add(visit.visited_on)
    return days


def count_year(children, visits, year: int, today: date, policy: dict) -> dict[str, list[int]]:
    """{"all" | "risk": [weeks met, weeks, months met, months]} by the rule in words, child by child, period by
    period: a period counts when it ended before today (and before the day a closed file was closed) and the child
    was on record by its end; it is met when each of its parts that ended on or after the day the child came on
    record has a visit (a home visit) on one of its days."""
    totals = {"all": [0, 0, 0, 0], "risk": [0, 0, 0, 0]}
    days = by_child(visits)
    weeks, months = weeks_of(year), months_of(year)
    for child in children:
        risky = bool(child.risk_flags)
        contacts, homes = days.get(child.id, (set(), set()))
        ends = today
        if child.status == ChildStatus.CLOSED and child.closed_at is not None:
            ends = min(ends, local_day(child.closed_at))
        for periods, interval, seen, slot in (
            (weeks, policy["contact_days_risk" if risky else "contact_days"], contacts, 0),
            (months, policy["home_days_risk" if risky else "home_days"], homes, 2),
        ):
            for period in periods:
                if not (child.on_record_since <= period[-1] < ends):
                    continue
                asked = [p for p in parts(period, interval) if p[-1] >= child.on_record_since]
                met = all(any(day in seen for day in p) for p in asked)
                for key in ("all", "risk") if risky else ("all",):
                    totals[key][slot] += met
                    totals[key][slot + 1] += 1
    return totals


def due_by(child, seen: set[date], periods: list[list[date]], interval: int) -> date:
    """The last day the next visit may be made on: the end of the first part (of any of ``periods``) that begins
    after the last visit and does not end before the child came on record."""
    last = max(seen) if seen else None
    return min(
        p[-1]
        for period in periods
        for p in parts(period, interval)
        if p[-1] >= child.on_record_since and (last is None or p[0] > last)
    )


POLICIES = [
    {"contact_days": 7, "home_days": 30, "contact_days_risk": 3, "home_days_risk": 14},  # the plan's defaults
    {"contact_days": 5, "home_days": 15, "contact_days_risk": 2, "home_days_risk": 10},  # Feb has fewer parts
    {"contact_days": 7, "home_days": 30, "contact_days_risk": 7, "home_days_risk": 30},  # a flag changes nothing
    {"contact_days": 3, "home_days": 14, "contact_days_risk": 1, "home_days_risk": 7},  # parts for everyone
]


def make_random_files(app, make, rng: random.Random, children: int = 160):
    """Files on record since days in 2023–2026 (rows written today), risk flags, some closed, and visit habits
    from diligent to neglected, from before each file was opened to today."""
    villages = [make.village(name_zh=f"核对村{n}") for n in range(3)]
    director = make.user(Role.CHILD_DIRECTOR, villages=[v.id for v in villages])
    with app.app_context():
        today = feng_today()
        rows = []
        for n in range(children):
            since = date(2023, 9, 1) + timedelta(days=rng.randrange(0, (today - date(2023, 9, 1)).days))
            closed = rng.random() < 0.15
            closed_at = None
            if closed:
                closing = since + timedelta(days=rng.randrange(0, 500))
                closed_at = datetime(closing.year, closing.month, closing.day, rng.choice([1, 15, 16, 23]), tzinfo=UTC)
            child = Child(
                name=f"核对{n}",
                gender=Gender.MALE,
                birth_date=date(2014, 1, 1),
                village_id=rng.choice(villages).id,
                town_id=villages[0].town_id,
                risk_flags=["behaviour"] if rng.random() < 0.35 else [],
                on_record_since=since,
                status=ChildStatus.CLOSED if closed else ChildStatus.ACTIVE,
                close_reason=CloseReason.OTHER if closed else None,
                closed_at=closed_at,
                director_id=director.id,
            )
            db.session.add(child)
            db.session.flush()
            diligence = rng.choice([0.2, 0.6, 0.9, 0.98])
            day = since - timedelta(days=rng.randrange(0, 20))
            while day <= today:
                if rng.random() < diligence * 0.45:
                    kind = VisitKind.HOME if rng.random() < 0.3 else rng.choice([VisitKind.PHONE, VisitKind.VIDEO])
                    rows.append(
                        {
                            "child_id": child.id,
                            "kind": kind,
                            "visited_on": day,
                            "findings": "",
                            "author_id": director.id,
                        }
                    )
                day += timedelta(days=rng.choice([1, 1, 2, 3, 4, 6]))
        db.session.execute(insert(Visit), rows)
        db.session.commit()
        everyone = db.session.scalars(select(Child).where(Child.village_id.in_([v.id for v in villages]))).all()
        visits = db.session.scalars(select(Visit).where(Visit.child_id.in_([c.id for c in everyone]))).all()
        db.session.expunge_all()
    return villages, director, everyone, visits


def test_yearly_figures_equal_the_rule_counted_day_by_day(app, make):
    """Hundreds of files and thousands of visits, 2024–2026, judged on several days (a Monday, a month's last day,
    New Year's Eve and Day, today) and under two policies: the report's figures equal the count in words."""
    from app.reports.visit_rules import child_shares

    rng = random.Random(2024)
    villages, _director, children, visits = make_random_files(app, make, rng)
    assert len(visits) > 3000 and sum(bool(c.risk_flags) for c in children) > 30
    labels = {v.id: v.name_zh for v in villages}
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    with app.app_context():
        now = feng_today()
    for policy in POLICIES:
        admin.post("/children/policy", {**policy, "problem_escalation_days": 7})
        for year, today in [
            (2024, date(2024, 12, 2)),
            (2024, date(2025, 1, 1)),
            (2025, date(2025, 3, 31)),
            (2025, date(2025, 12, 31)),
            (2026, date(2026, 3, 1)),
            (2026, now),
        ]:
            expected = count_year(children, visits, year, today, policy)
            with app.test_request_context():
                ((everyone, risky),) = child_shares(year, today, select(Child), [("village_id", labels)])
            s, r = everyone["__all__"], risky["__all__"]
            assert [s.weeks_met, s.weeks, s.months_met, s.months] == expected["all"], (policy, year, today)
            assert [r.weeks_met, r.weeks, r.months_met, r.months] == expected["risk"], (policy, year, today)
            assert 0 < s.weeks_met < s.weeks and 0 < s.months_met < s.months  # the data has both verdicts
        # The page the county opens: the same figures, judged on today.
        met_weeks, weeks, met_months, months = count_year(children, visits, 2025, now, policy)["all"]
        page = html.unescape(admin.client.get("/reports/visits?year=2025").get_data(as_text=True))
        page = re.sub(r">\s+<", "><", page)
        assert f"<strong>{met_weeks}/{weeks} (" in page and f"<strong>{met_months}/{months} (" in page


def test_due_dates_and_todays_compliance_equal_the_rule_in_words(app, make):
    """Each active child's contact and home-visit due dates equal the end of the first part after the last visit,
    found by walking the calendar; the compliance page's counts follow from them (up to date: neither passed)."""
    from app.childcare.visits import compliance_by, visits_due

    rng = random.Random(8)
    villages, _director, children, visits = make_random_files(app, make, rng, children=70)
    labels = {v.id: v.name_zh for v in villages}
    days = by_child(visits)
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    for policy in POLICIES:
        admin.post("/children/policy", {**policy, "problem_escalation_days": 7})
        with app.test_request_context():
            day = feng_today()
            due = {d.child.id: (d.contact_due, d.home_due) for d in visits_due(select(Child))}
            (rows,) = compliance_by(select(Child), day, [("village_id", labels)])
        years = range(2023, day.year + 2)
        weeks = [w for y in years for w in weeks_of(y)]
        months = [m for y in years for m in months_of(y)]
        active = [c for c in children if c.status == ChildStatus.ACTIVE]
        expected = {}
        for child in active:
            contacts, homes = days.get(child.id, (set(), set()))
            risk = "_risk" if child.risk_flags else ""
            expected[child.id] = (
                due_by(child, contacts, weeks, policy[f"contact_days{risk}"]),
                due_by(child, homes, months, policy[f"home_days{risk}"]),
            )
        assert due == expected, policy
        counted: dict[str, list[int]] = {}
        for child in active:
            line = counted.setdefault(labels[child.village_id], [0, 0, 0, 0])
            ok = min(expected[child.id]) >= day
            line[0] += 1
            line[1] += ok
            line[2] += bool(child.risk_flags)
            line[3] += ok and bool(child.risk_flags)
        assert {r.label: [r.children, r.up_to_date, r.risk_children, r.risk_up_to_date] for r in rows} == counted
        assert 0 < sum(line[1] for line in counted.values()) < len(active)  # both verdicts
