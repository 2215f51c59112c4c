"""R3 over a year: child-weeks with their contacts and child-months with their home visits, counted by hand.

The random, day-by-day comparison with the plan's words is ``test_r3_oracle.py``; these are the rule's cases one
at a time: on record since (not the row's creation), the stricter windows of a risk flag, periods judged only once
they have ended, closed files.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.auth.models import Role
from app.childcare.models import Child, ChildStatus, CloseReason, Visit, VisitKind
from app.extensions import db
from app.reports.visit_rules import child_shares
from tests.conftest import Auth


def add_visits(app, child_id: int, author_id: int, visits) -> None:
    with app.app_context():
        for day, kind in visits:
            db.session.add(Visit(child_id=child_id, kind=kind, visited_on=day, findings="x", author_id=author_id))
        db.session.commit()


def page_rows(auth: Auth, year: int) -> str:
    page = html.unescape(auth.client.get(f"/reports/visits?year={year}&lang=en").get_data(as_text=True))
    return re.sub(r">\s+<", "><", page)


def shares(app, year: int, today: date, village_id: int):
    with app.test_request_context():
        ((everyone, risky),) = child_shares(year, today, select(Child), [("village_id", {village_id: "v"})])
    s, r = everyone.get("v"), risky.get("v")
    return (
        (s.weeks_met, s.weeks, s.months_met, s.months) if s else None,
        (r.weeks_met, r.weeks, r.months_met, r.months) if r else None,
    )


def test_weeks_and_months_met_in_a_past_year_with_the_stricter_windows_of_a_risk_flag(app, make):
    """ISO 2025 runs from Monday 30 December 2024 to Sunday 28 December 2025: 52 weeks. A risk-flagged child's week
    needs a contact on Monday–Wednesday and on Thursday–Sunday, its month a home visit on the 1st–14th and after."""
    village = make.village(name_zh="走访村", name_en="Visit Village")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    since = date(2025, 1, 1)
    child = make.child(village.id, on_record_since=since)
    risky = make.child(village.id, risk_flags=["behaviour"], on_record_since=since)
    add_visits(
        app,
        child.id,
        director.id,
        [(date(2025, 1, 2), VisitKind.PHONE), (date(2025, 3, 10), VisitKind.HOME), (date(2025, 3, 20), VisitKind.HOME)],
    )
    add_visits(
        app,
        risky.id,
        director.id,
        [
            (date(2025, 2, 3), VisitKind.PHONE),  # Monday and
            (date(2025, 2, 6), VisitKind.PHONE),  # Thursday: the week of 3 February is met
            (date(2025, 2, 10), VisitKind.PHONE),  # Monday only: its week is not
            (date(2025, 4, 2), VisitKind.HOME),  # the 2nd and
            (date(2025, 4, 20), VisitKind.HOME),  # the 20th: April is met (neither week is: one half each)
            (date(2025, 5, 5), VisitKind.HOME),  # May has no visit after the 14th: not met
        ],
    )
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    # 3 + 1 weeks of 104, 1 + 1 months of 24; with a risk flag 1 of 52 weeks (2%), 1 of 12 months (8%).
    assert "<td>Visit Village</td><td>4/104 (4%)</td><td>2/24 (8%)</td><td>2% / 8%</td>" in page_rows(supervisor, 2025)
    assert shares(app, 2025, date(2026, 6, 1), village.id) == ((4, 104, 2, 24), (1, 52, 1, 12))
    volunteer = Auth(app.test_client())
    volunteer.login(make.user().username)
    assert volunteer.client.get("/reports/visits").status_code == 403


def test_a_file_made_today_is_judged_from_its_on_record_since_with_its_history(app, make):
    """The row is written today; the child has been on the county's books since Saturday 1 June 2024 with a contact
    every Monday and a home visit every 15th of 2025: 2025 is all met, and 2024 counts from June (ISO week 22)."""
    village = make.village(name_zh="档案村", name_en="Records Village")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, on_record_since=date(2024, 6, 1))
    mondays = [date.fromisocalendar(2025, week, 1) for week in range(1, 53)]
    add_visits(app, child.id, director.id, [(day, VisitKind.PHONE) for day in mondays])
    add_visits(app, child.id, director.id, [(date(2025, month, 15), VisitKind.HOME) for month in range(1, 13)])
    with app.app_context():
        assert db.session.get(Child, child.id).created_at.date() > date(2026, 1, 1)
    today = date(2026, 2, 1)
    assert shares(app, 2025, today, village.id) == ((52, 52, 12, 12), None)
    assert shares(app, 2024, today, village.id) == ((0, 31, 0, 7), None)
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    assert "<td><strong>All</strong></td><td><strong>52/52 (100%)</strong></td>" in page_rows(admin, 2025)
    assert "<td><strong>All</strong></td><td><strong>0/31 (0%)</strong></td><td><strong>0/7 (0%)" in page_rows(
        admin, 2024
    )


def test_the_current_week_and_month_are_in_progress_never_missed(app, make):
    village = make.village()
    make.child(village.id, on_record_since=date(2025, 3, 1))  # a Saturday: its week began on 24 February
    # Wednesday 12 March: two weeks have ended (24 Feb–2 Mar, 3–9 Mar); March has not.
    assert shares(app, 2025, date(2025, 3, 12), village.id) == ((0, 2, 0, 0), None)
    # 31 March, March's last day, is still March: it is judged from 1 April (the old rule judged it from the 28th).
    assert shares(app, 2025, date(2025, 3, 31), village.id) == ((0, 5, 0, 0), None)
    assert shares(app, 2025, date(2025, 4, 1), village.id) == ((0, 5, 0, 1), None)


def test_a_closed_file_counts_for_the_periods_that_ended_before_it_was_closed(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    # Closed at 00:30 on 1 March, Feng County time (16:30 UTC the day before): February had ended, judged.
    early = make.child(
        village.id,
        status=ChildStatus.CLOSED,
        close_reason=CloseReason.MOVED_AWAY,
        closed_at=datetime(2025, 2, 28, 16, 30, tzinfo=UTC),
        on_record_since=date(2025, 1, 1),
    )
    add_visits(app, early.id, director.id, [(date(2025, 2, 20), VisitKind.HOME), (date(2025, 3, 3), VisitKind.HOME)])
    # Weeks up to the one of 17–23 February (8 weeks), January and February; the March visit is after closing.
    assert shares(app, 2025, date(2025, 12, 1), village.id) == ((1, 8, 1, 2), None)
    with app.app_context():
        db.session.get(Child, early.id).closed_at = datetime(2025, 2, 28, 15, 30, tzinfo=UTC)  # 23:30 on the 28th
        db.session.commit()
    assert shares(app, 2025, date(2025, 12, 1), village.id) == ((1, 8, 0, 1), None)
    # An active file of the same village counts in full beside it: 48 weeks (ISO weeks 1–48) and 11 months.
    make.child(village.id, on_record_since=date(2025, 1, 1))
    assert shares(app, 2025, date(2025, 12, 1), village.id) == ((1, 8 + 48, 0, 1 + 11), None)
