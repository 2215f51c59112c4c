"""What a report does with odd query strings, and lists behind filtered numbers that equal the numbers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.activities.models import ActivityKind, SafetyTopic
from app.auth.models import Role
from app.childcare.models import Attendance
from app.directory.models import Organization, Town
from app.extensions import db
from app.mentoring.models import ConsentMethod, MentoringSession, Pairing, PairingKind
from tests.conftest import Auth
from tests.test_reports_departments import Q1, admin, at, dataset, held, rows_of  # noqa: F401 (fixture)

HUGE = "99999999999999999999"

ODD_URLS = [
    "/reports/departments?period=range&from=0001-01-01&to=2024-01-01",
    "/reports/departments?period=range&from=2024-01-01&to=9999-12-31",
    "/reports/departments.csv?period=range&from=0001-01-01&to=9999-12-31",
    "/reports/departments?kind=nonsense&town=abc&task=99&year=-3",
    f"/reports/departments?town={HUGE}&quarter={HUGE}&period=quarter",
    "/reports/departments?fmt=csv&endpoint=x&_external=1&_anchor=y",
    "/reports/departments/1/activities?kind=nonsense&town=-1&fmt=csv",
    "/reports/safety-coverage?until=0001-01-01&topic=nonsense",
    "/reports/safety-coverage.csv?until=9999-12-31",
    f"/reports/progress?year={HUGE}",
    f"/reports/progress.csv?year={HUGE}",
    "/reports/visits?year=99999",
    "/reports/visits?year=1",
    "/reports/visits.xlsx?year=-1",
    "/reports/vacations?year=99999",
    "/reports/vacations?year=-3",
    f"/reports/summary?year={HUGE}",
    "/reports/compliance?year=0",
    f"/admin/audit/?child={HUGE}&actor=-5",
    f"/activities?town={HUGE}",
    f"/children/?village={HUGE}",
    f"/directory/villages?town={HUGE}",
]


@pytest.mark.parametrize("url", ODD_URLS)
def test_odd_query_strings_get_a_page_not_an_error(app, make, url):
    """Each of these pages exists: odd values fall back to the defaults and the page renders."""
    make.admin(username="boss")
    response = admin(app).client.get(url)
    assert response.status_code == 200, response.status_code


def test_a_nul_in_a_report_query_string_is_a_clear_400_page(app, make):
    make.admin(username="boss")
    response = admin(app).client.get("/reports/departments.xlsx?fmt=csv&kind=%00&lang=en")
    assert response.status_code == 400
    assert "invalid control characters" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", [f"/reports/departments/{HUGE}/activities", f"/children/{HUGE}", f"/reports/progress/hekou/{HUGE}"]
)
def test_a_too_large_id_in_a_url_is_not_found(app, make, url):
    make.admin(username="boss")
    assert admin(app).client.get(url).status_code == 404


def test_an_odd_range_falls_back_to_the_year(app, make):
    make.admin(username="boss")
    url = "/reports/departments?period=range&from=0001-01-01&to=2024-01-01&year=2025&lang=en"
    assert "Period: 2025 (" in admin(app).client.get(url).get_data(as_text=True)


def test_the_list_behind_a_filtered_number_is_that_number(app, dataset):  # noqa: F811
    auth = admin(app)
    with app.app_context():
        youth = db.session.scalar(select(Organization.id).where(Organization.code == "youth-league"))
    query = f"{Q1}&kind=reading&lang=en"
    rows = rows_of(auth.client.get(f"/reports/departments?{query}").get_data(as_text=True))
    assert rows["Communist Youth League County Committee"][1] == "1"
    behind = auth.client.get(f"/reports/departments/{youth}/activities?{query}").get_data(as_text=True)
    assert "Activities held (1)" in behind and "youth-league 03-31" in behind and "youth-league 02-10" not in behind
    assert "Reading" in behind  # the filter is named on the list


def add_pairing(
    app, child_id: int, org_id: int, mentor_id: int, author_id: int, started: date, *, ended=None, sessions=()
) -> None:
    """A pairing with recorded consent, started (and ended) on the days given, with sessions held on ``sessions``."""
    with app.app_context():
        pairing = Pairing(
            child_id=child_id,
            mentor_id=mentor_id,
            organization_id=org_id,
            kind=PairingKind.ACADEMIC,
            started_on=started,
            ended_on=ended,
            consent_by="祖母",
            consent_on=started,
            consent_method=ConsentMethod.WRITTEN,
            created_by_id=author_id,
        )
        db.session.add(pairing)
        db.session.flush()
        for day in sessions:
            db.session.add(MentoringSession(pairing_id=pairing.id, held_on=day, minutes=60, what_was_done="辅导作业"))
        db.session.commit()


def test_pairings_follow_the_report_filters_and_link_to_their_list(app, make):
    boss = make.admin(username="boss")
    org = make.organization("pairing-org", name_en="Pairing Org", name_zh="结对机构")
    mentor = make.user(name="王导师")
    here = make.child(make.village("shuangshipu").id, name="结对儿童")
    there = make.child(make.village("hekou").id)
    add_pairing(
        app, here.id, org.id, mentor.id, boss.id, date(2026, 1, 5), sessions=[date(2026, 2, 1), date(2026, 3, 1)]
    )
    add_pairing(app, there.id, org.id, mentor.id, boss.id, date(2026, 1, 6))
    auth = admin(app)
    with app.app_context():
        shuangshipu = db.session.scalar(select(Town.id).where(Town.code == "shuangshipu"))

    def pairings(query: str) -> list[str]:
        return rows_of(auth.client.get(f"/reports/departments?{Q1}&lang=en{query}").get_data(as_text=True))[
            "Pairing Org"
        ][-2:]

    assert pairings("") == ["2", "2"]
    assert pairings(f"&town={shuangshipu}") == ["1", "2"]
    assert pairings("&kind=reading") == ["0", "0"] and pairings("&task=13") == ["0", "0"]
    assert pairings("&kind=mentoring&task=10") == ["2", "2"]
    behind = auth.client.get(f"/reports/departments/{org.id}/activities?{Q1}&town={shuangshipu}&lang=en")
    text = behind.get_data(as_text=True)
    assert "Mentoring pairings active (1)" in text and "王导师" in text and "2 sessions in the period" in text
    assert "结对儿童" not in text  # the child is not named on a report list


def test_an_inactive_organization_keeps_its_past_rows(app, make):
    make.admin(username="boss")
    org = make.organization("closed-org", name_en="Closed Org")
    with app.app_context():
        db.session.get(Organization, org.id).is_active = False
        db.session.commit()
    auth = admin(app)
    assert "Closed Org" not in rows_of(auth.client.get(f"/reports/departments?{Q1}&lang=en").get_data(as_text=True))
    held(app, "closed-org", at(date(2026, 2, 3), 9), at(date(2026, 2, 3), 11))
    rows = rows_of(auth.client.get(f"/reports/departments?{Q1}&lang=en").get_data(as_text=True))
    assert rows["Closed Org"][1] == "1"


def test_coverage_counts_an_activity_in_the_last_minute_of_the_day(app, make):
    boss = make.admin(username="boss")
    village = make.village("shuangshipu")
    child = make.child(village.id)
    late = held(
        app,
        "youth-league",
        at(date(2026, 6, 30), 23, 59) + timedelta(seconds=30),
        at(date(2026, 7, 1), 1),
        kind=ActivityKind.SAFETY_VILLAGE,
        topics=[SafetyTopic.DROWNING],
    )
    with app.app_context():
        db.session.add(Attendance(activity_id=late, child_id=child.id, marked_by_id=boss.id))
        db.session.commit()
    director = Auth(app.test_client())
    director.login(make.user(Role.CHILD_DIRECTOR, villages=[village.id]).username)
    page = director.client.get("/reports/safety-coverage?topic=drowning&until=2026-06-30").get_data(as_text=True)
    assert "1 / 1" in page
    page = director.client.get("/reports/safety-coverage?topic=drowning&until=2026-06-29").get_data(as_text=True)
    assert "0 / 1" in page
