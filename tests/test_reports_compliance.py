"""The compliance page: each rule's verdict for a year, and what is missing."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.activities.models import ActivityKind
from app.auth.models import Role
from app.childcare.models import CheckLevel, FileCheck, Visit, VisitKind
from app.childcare.services import today
from app.directory.models import Organization, OrganizationKind
from app.extensions import db
from tests.conftest import Auth
from tests.test_reports_departments import at, held


def page(app, year: int = 2026) -> str:
    auth = Auth(app.test_client())
    auth.login("boss")
    return html.unescape(auth.client.get(f"/reports/compliance?year={year}&lang=en").get_data(as_text=True))


def verdict(text: str, code: str) -> str:
    part = text.split(f'rule-{code}"', 1)[1].split("</li>", 1)[0]
    return part


def test_r1_names_the_body_that_held_no_safety_event(app, make):
    make.admin(username="boss")
    for code in ["education", "police", "mca", "youth-league", "womens-federation"]:
        held(app, code, at(date(2025, 5, 10), 9), at(date(2025, 5, 10), 11), kind=ActivityKind.SAFETY_VILLAGE)
    r1 = verdict(page(app, 2025), "R1")
    assert "Not met" in r1 and "Missing: Women and Children Work Committee Office" in r1 and "Police" not in r1
    assert "/reports/departments?year=2025&amp;kind=safety_village" in r1.replace("&", "&amp;")
    held(app, "wcwc", at(date(2025, 6, 1), 9), at(date(2025, 6, 1), 11), kind=ActivityKind.SAFETY_VILLAGE)
    assert "Met" in verdict(page(app, 2025), "R1") and "Not met" not in verdict(page(app, 2025), "R1")
    assert "Not met" in verdict(page(app, 2024), "R1")  # another year starts from nothing


def test_the_current_year_is_in_progress_until_its_deadlines(app, make):
    """Events still possible before 31 December are to do, not failures; a past year's are failures."""
    make.admin(username="boss")
    year = today().year
    r1 = verdict(page(app, year), "R1")
    assert "In progress" in r1 and "Not met" not in r1 and "Missing:" not in r1
    assert "Still to do: Education and Sports Bureau" in r1 and "31 Dec" in r1
    r7 = verdict(page(app, year), "R7")
    assert "Met" in r7  # every demo town has its station
    export = Auth(app.test_client())
    export.login("boss")
    text = export.client.get(f"/reports/compliance.csv?year={year}&lang=en").get_data(as_text=True)
    assert "R1,Each of six bodies" in text and "In progress" in text and f"({year}-12-31)" in text


def test_r2_needs_a_lecture_before_each_vacation(app, make):
    make.admin(username="boss")
    make.organization("school-test", kind=OrganizationKind.SCHOOL, name_en="Test School")
    held(app, "school-test", at(date(2025, 12, 10), 9), at(date(2025, 12, 10), 10), kind=ActivityKind.SAFETY_LECTURE)
    r2 = verdict(page(app), "R2")
    assert "Test School (before the summer vacation)" in r2 and "before the winter" not in r2
    held(app, "school-test", at(date(2026, 6, 20), 9), at(date(2026, 6, 20), 10), kind=ActivityKind.SAFETY_LECTURE)
    assert "Not met" not in verdict(page(app), "R2")


def test_r4_r6_r7_verdicts(app, make):
    admin = make.admin(username="boss")
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    village = make.village(name_zh="无主任村", name_en="No Director Village")
    child = make.child(village.id)
    text = page(app)
    assert "the county's spot check" in verdict(text, "R4") and "Shuangshipu Town's full check" in verdict(text, "R4")
    assert "No Director Village needs 1" in verdict(text, "R6")
    assert "Met" in verdict(text, "R7") and "Not met" not in verdict(text, "R7")
    with app.app_context():
        db.session.add_all(
            [
                FileCheck(
                    child_id=child.id, level=CheckLevel.COUNTY_SPOT, checked_on=date(2026, 3, 1), checker_id=admin.id
                ),
                FileCheck(
                    child_id=child.id, level=CheckLevel.TOWN_FULL, checked_on=date(2026, 3, 2), checker_id=supervisor.id
                ),
            ]
        )
        station = db.session.scalar(select(Organization).where(Organization.code == "mps-hekou"))
        station.is_active = False
        db.session.commit()
    make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    text = page(app)
    assert "Not met" not in verdict(text, "R4")
    assert "No Director Village" not in verdict(text, "R6")
    assert "Hekou Town" in verdict(text, "R7")


def test_compliance_is_for_the_county(app, make):
    auth = Auth(app.test_client())
    auth.login(make.user(Role.COORDINATOR, organization="youth-league").username)
    assert auth.client.get("/reports/compliance").status_code == 403


def test_r6_counts_the_directors_recorded_at_a_training(app, make):
    make.admin(username="boss")
    village = make.village()
    trained = make.user(Role.CHILD_DIRECTOR, villages=[village.id], name="受训主任")
    make.user(Role.CHILD_DIRECTOR, villages=[village.id], name="未训主任")
    training = held(
        app, "mca", at(date(2025, 4, 16), 9), at(date(2025, 4, 16), 17), kind=ActivityKind.DIRECTOR_TRAINING
    )
    coordinator = Auth(app.test_client())
    coordinator.login(make.user(Role.COORDINATOR, organization="mca").username)
    assert "受训主任" in coordinator.client.get(f"/manage/activities/{training}/participants").get_data(as_text=True)
    coordinator.post(f"/manage/activities/{training}/participants", {"director_ids": [str(trained.id)]})
    r6 = verdict(page(app, 2025), "R6")
    assert "1 of 2 child directors trained" in r6 and "1 child director(s) not trained" in r6
    assert "demonstration training" not in r6.split("Missing:")[1]
    other = Auth(app.test_client())
    other.login(make.user(Role.COORDINATOR, organization="police").username)
    assert other.client.get(f"/manage/activities/{training}/participants").status_code == 403


def test_admin_sets_the_vacations_and_r2_and_the_summer_report_follow(app, make):
    admin = Auth(app.test_client())
    admin.login(make.admin(username="boss").username)
    make.organization("school-vac", kind=OrganizationKind.SCHOOL, name_en="Vacation School")
    held(app, "school-vac", at(date(2026, 1, 5), 9), at(date(2026, 1, 5), 10), kind=ActivityKind.SAFETY_LECTURE)
    held(app, "school-vac", at(date(2026, 7, 5), 9), at(date(2026, 7, 5), 10), kind=ActivityKind.SAFETY_LECTURE)
    # With the usual dates (summer from 1 July) the 5 July lecture is too late.
    assert "Vacation School (before the summer vacation)" in verdict(page(app), "R2")
    bad = admin.post(
        "/reports/vacations?lang=en",
        {
            "year": "2026",
            "winter_first": "2026-01-20",
            "winter_last": "2026-01-10",
            "summer_first": "2026-07-15",
            "summer_last": "2026-08-31",
        },
    )
    assert "must end after it starts" in bad.get_data(as_text=True)
    admin.post(
        "/reports/vacations",
        {
            "year": "2026",
            "winter_first": "2026-01-20",
            "winter_last": "2026-02-25",
            "summer_first": "2026-07-15",
            "summer_last": "2026-08-31",
        },
    )
    assert "Not met" not in verdict(page(app), "R2")
    report = html.unescape(
        admin.client.get("/reports/departments?period=summer&year=2026&lang=en").get_data(as_text=True)
    )
    assert re.search(r"\(Wed 15 Jul( 2026)? – Mon 31 Aug( 2026)?\)", report)  # the year shown unless it is this one
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="hekou").username)
    assert supervisor.client.get("/reports/vacations").status_code == 403


def test_r4_needs_every_active_file_of_a_town_checked_once(app, make):
    admin = make.admin(username="boss")
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="hekou")
    village = make.village("hekou")
    children = [make.child(village.id) for _ in range(3)]

    def check(child, level, day=date(2025, 3, 1)):
        checker = admin if level == CheckLevel.COUNTY_SPOT else supervisor
        with app.app_context():
            db.session.add(FileCheck(child_id=child.id, level=level, checked_on=day, checker_id=checker.id))
            db.session.commit()

    check(children[0], CheckLevel.COUNTY_SPOT)
    for day in (1, 2, 3, 4):  # the same file four times is still one file
        check(children[0], CheckLevel.TOWN_FULL, date(2025, 3, day))
    r4 = verdict(page(app, 2025), "R4")
    assert "Not met" in r4 and "Hekou Town's full check (1 of 3 files)" in r4
    check(children[1], CheckLevel.TOWN_FULL)
    check(children[2], CheckLevel.TOWN_FULL, date(2024, 12, 30))  # another year's check does not count
    assert "Hekou Town's full check (2 of 3 files)" in verdict(page(app, 2025), "R4")
    check(children[2], CheckLevel.TOWN_FULL)
    r4 = verdict(page(app, 2025), "R4")
    assert 'class="tag ok">Met' in r4 and "Hekou Town 3 of 3" in r4


def test_r3_is_in_progress_before_a_week_has_ended_since_the_files_came_on_record(app, make):
    make.admin(username="boss")
    make.child(make.village().id)  # on record since today: no week of this year is judged for it yet
    r3 = verdict(page(app, today().year), "R3")
    assert "In progress" in r3 and "no week of the year has ended since the children came on record" in r3
    assert "Not met" not in r3


def test_r3_judges_ended_periods_and_leaves_the_rest_of_the_year_to_do(app, make):
    """The current year with every ended week and month met is in progress, not met; a miss is not met at once;
    a past year has nothing left to do."""
    admin = make.admin(username="boss")
    village = make.village()
    day = today()
    monday = day - timedelta(days=day.weekday() + 7)  # last week's
    year = (monday + timedelta(days=3)).year  # the year that week belongs to: this one, but in early January
    child = make.child(village.id, on_record_since=monday)
    r3 = verdict(page(app, year), "R3")
    assert "Not met" in r3 and "Missing: 1 child-weeks without a contact" in r3  # last week had no contact
    assert ("Still to do: the weeks and months still to come" in r3) == (year == day.year)
    with app.app_context():
        db.session.add(Visit(child_id=child.id, kind=VisitKind.PHONE, visited_on=monday, author_id=admin.id))
        db.session.commit()
    r3 = verdict(page(app, year), "R3")
    assert "child-weeks without a contact" not in r3 and "Weeks with a contact: 100%" in r3
    # Last week's month may have ended, without a home visit, when today is early in a month.
    status = "Not met" if "child-months without a home visit" in r3 else "In progress" if year == day.year else "Met"
    assert f">{status}</span>" in r3
    past = make.child(village.id, on_record_since=date(2025, 12, 1))
    with app.app_context():
        for n in range(5):
            db.session.add(
                Visit(
                    child_id=past.id,
                    kind=VisitKind.HOME,
                    visited_on=date(2025, 12, 1) + timedelta(days=7 * n),
                    author_id=admin.id,
                )
            )
        db.session.commit()
    # 2025: ISO weeks 49–52 (1–28 December) and December, all met; ISO week 1 of 2026 belongs to 2026.
    r3 = verdict(page(app, 2025), "R3")
    assert 'class="tag ok">Met' in r3 and "Weeks with a contact: 100%; months with a home visit: 100%" in r3


def test_r4_counts_a_check_only_when_the_right_body_recorded_it(app, make):
    """The county's spot check by the administrator; a town's full check by that town's own supervisor. Rows that
    break this (written before the rule was enforced) are not counted."""
    admin = make.admin(username="boss")
    village = make.village("hekou")
    child = make.child(village.id)
    own = make.user(Role.TOWN_SUPERVISOR, town="hekou")
    other_town = make.user(Role.TOWN_SUPERVISOR, town="fengzhou")

    def check(level, checker):
        with app.app_context():
            db.session.add(
                FileCheck(child_id=child.id, level=level, checked_on=date(2025, 3, 1), checker_id=checker.id)
            )
            db.session.commit()

    check(CheckLevel.COUNTY_SPOT, own)  # a town supervisor's "county spot check"
    check(CheckLevel.TOWN_FULL, admin)  # the county's "town full check"
    check(CheckLevel.TOWN_FULL, other_town)  # another town's supervisor
    r4 = verdict(page(app, 2025), "R4")
    assert "Missing: the county's spot check、Hekou Town's full check (0 of 1 files)" in r4
    assert "Files checked by the county: 0" in r4
    check(CheckLevel.COUNTY_SPOT, admin)
    check(CheckLevel.TOWN_FULL, own)
    r4 = verdict(page(app, 2025), "R4")
    assert 'class="tag ok">Met' in r4 and "Files checked by the county: 1" in r4 and "Hekou Town 1 of 1" in r4
