"""The department report on a small, hand-countable data set: every figure on the page and in the exports."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.activities.models import Activity, ActivityKind, ActivityStatus, SafetyTopic, Signup, SignupStatus
from app.activities.services import ActivityData, ShiftData, create_activity
from app.auth.models import Role, User
from app.childcare.models import Attendance
from app.directory.models import Organization
from app.extensions import db
from app.timeutils import SHANGHAI
from tests.conftest import Auth


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def held(
    app,
    org: str,
    start: datetime,
    end: datetime,
    *,
    kind=ActivityKind.HOLIDAY_CARE,
    status=ActivityStatus.COMPLETED,
    co: list[str] = (),
    topics=(),
) -> int:
    with app.test_request_context():
        organization = db.session.scalar(select(Organization).where(Organization.code == org))
        author = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        coorganizers = list(db.session.scalars(select(Organization).where(Organization.code.in_(co))))
        data = ActivityData(
            title=f"{org} {start:%m-%d}",
            kind=kind,
            organization=organization,
            coorganizers=coorganizers,
            safety_topics=[str(t) for t in topics],
            shifts=[ShiftData(start, end, 10)],
        )
        (activity,) = create_activity(data, by=author, allow_past=True)
        activity.status = status
        db.session.commit()
        return activity.id


@pytest.fixture
def dataset(app, make):
    """Q1 2026: youth-league holds a safety event (co-organized by the Women's Federation) and an evening activity
    that runs past midnight at the quarter's end; a cancelled and a not-completed one do not count. Q2: one by the
    Women's Federation. Two volunteers checked in (2 h each), one did not; two children attended, one twice."""
    make.admin(username="boss")
    safety = held(
        app,
        "youth-league",
        at(date(2026, 2, 10), 10),
        at(date(2026, 2, 10), 12),
        kind=ActivityKind.SAFETY_VILLAGE,
        co=["womens-federation"],
        topics=[SafetyTopic.DROWNING],
    )
    evening = held(
        app, "youth-league", at(date(2026, 3, 31), 23), at(date(2026, 4, 1), 0, 30), kind=ActivityKind.READING
    )
    held(app, "youth-league", at(date(2026, 2, 15), 9), at(date(2026, 2, 15), 10), status=ActivityStatus.CANCELLED)
    held(app, "youth-league", at(date(2026, 2, 20), 9), at(date(2026, 2, 20), 10), status=ActivityStatus.PUBLISHED)
    held(
        app, "womens-federation", at(date(2026, 4, 2), 9), at(date(2026, 4, 2), 11), kind=ActivityKind.FAMILY_EDUCATION
    )
    v1, v2, v3 = make.user(), make.user(), make.user()
    village = make.village()
    c1, c2 = make.child(village.id), make.child(village.id)
    with app.app_context():
        shift = db.session.get(Activity, safety).shifts[0]
        for user, checked in ((v1, True), (v2, True), (v3, False)):
            db.session.add(
                Signup(
                    shift_id=shift.id,
                    user_id=user.id,
                    status=SignupStatus.CONFIRMED,
                    checked_in_at=shift.starts_at if checked else None,
                )
            )
        for activity_id, child in ((safety, c1), (safety, c2), (evening, c1)):
            db.session.add(Attendance(activity_id=activity_id, child_id=child.id, marked_by_id=v1.id))
        db.session.commit()
    return {"safety": safety, "evening": evening}


def admin(app) -> Auth:
    auth = Auth(app.test_client())
    auth.login("boss")
    return auth


Q1 = "period=quarter&year=2026&quarter=1"


def rows_of(page: str) -> dict[str, list[str]]:
    import re

    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        if cells:
            rows[cells[0]] = cells
    return rows


def test_quarter_figures_per_department(app, dataset):
    page = admin(app).client.get(f"/reports/departments?{Q1}&lang=en").get_data(as_text=True)
    rows = rows_of(page)
    youth = rows["Communist Youth League County Committee"]
    women = rows["Women's Federation"]
    # columns: name, activities, task 1..18, topics, volunteers, hours, children, pairings, sessions
    assert youth[1] == "2" and youth[1 + 13] == "1" and youth[1 + 3] == "1"
    assert youth[20] == "Drowning" and youth[21:24] == ["2", "4.0", "2"]
    assert women[1] == "1" and women[1 + 13] == "1" and women[21:24] == ["2", "4.0", "2"]
    assert rows["County Civil Affairs Bureau"][1] == "0"
    names = list(rows)
    assert names.index("County Civil Affairs Bureau") < names.index("Shuangshipu Town Government")  # bodies first


def test_other_periods_and_the_midnight_edge(app, dataset):
    auth = admin(app)
    q2 = rows_of(
        auth.client.get("/reports/departments?period=quarter&year=2026&quarter=2&lang=en").get_data(as_text=True)
    )
    assert q2["Communist Youth League County Committee"][1] == "0"  # the evening started in Q1
    assert q2["Women's Federation"][1] == "1"
    year = rows_of(auth.client.get("/reports/departments?year=2026&lang=en").get_data(as_text=True))
    assert year["Communist Youth League County Committee"][1] == "2" and year["Women's Federation"][1] == "2"
    march = rows_of(
        auth.client.get("/reports/departments?period=range&from=2026-03-31&to=2026-03-31&lang=en").get_data(
            as_text=True
        )
    )
    assert march["Communist Youth League County Committee"][1] == "1"


def test_filters_by_plan_task_and_kind(app, dataset):
    auth = admin(app)
    task13 = rows_of(auth.client.get(f"/reports/departments?{Q1}&task=13&lang=en").get_data(as_text=True))
    assert task13["Communist Youth League County Committee"][1] == "1"
    reading = rows_of(auth.client.get(f"/reports/departments?{Q1}&kind=reading&lang=en").get_data(as_text=True))
    assert reading["Communist Youth League County Committee"][1] == "1" and reading["Women's Federation"][1] == "0"


def test_every_number_links_to_its_activities(app, dataset):
    auth = admin(app)
    with app.app_context():
        youth_id = db.session.scalar(select(Organization.id).where(Organization.code == "youth-league"))
        women_id = db.session.scalar(select(Organization.id).where(Organization.code == "womens-federation"))
    page = auth.client.get(f"/reports/departments/{youth_id}/activities?{Q1}").get_data(as_text=True)
    assert "youth-league 02-10" in page and "youth-league 03-31" in page and "youth-league 02-15" not in page
    co = auth.client.get(f"/reports/departments/{women_id}/activities?{Q1}&lang=en").get_data(as_text=True)
    assert "youth-league 02-10" in co and "Co-organized" in co


def test_exports_hold_the_same_figures(app, dataset):
    auth = admin(app)
    xlsx = auth.client.get(f"/reports/departments.xlsx?{Q1}&lang=en")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert "2026 Q1" in sheet["A1"].value and sheet.freeze_panes == "B4"
    by_name = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=4)}
    youth = by_name["Communist Youth League County Committee"]
    assert youth[1] == 2 and youth[14] == 1 and youth[21] == 2 and youth[22] == 4.0 and youth[23] == 2
    text = auth.client.get(f"/reports/departments.csv?{Q1}&lang=en").get_data(as_text=True).lstrip("\ufeff")
    csv_rows = {r[0]: r for r in list(csv.reader(io.StringIO(text)))[2:]}
    assert csv_rows["Women's Federation"][1] == "1" and csv_rows["Women's Federation"][23] == "2"


def test_a_coordinator_sees_only_their_own_row_and_volunteers_nothing(app, dataset, make):
    coordinator = Auth(app.test_client())
    coordinator.login(make.user(Role.COORDINATOR, organization="womens-federation").username)
    rows = rows_of(coordinator.client.get(f"/reports/departments?{Q1}&lang=en").get_data(as_text=True))
    assert list(rows) == ["Women's Federation"]
    with app.app_context():
        youth_id = db.session.scalar(select(Organization.id).where(Organization.code == "youth-league"))
    assert coordinator.client.get(f"/reports/departments/{youth_id}/activities").status_code == 403
    volunteer = Auth(app.test_client())
    volunteer.login(make.user().username)
    assert volunteer.client.get("/reports/departments").status_code == 403


def test_report_queries_do_not_grow_with_the_data(app, dataset, count_queries, make):
    auth = admin(app)
    auth.client.get(f"/reports/departments?{Q1}")
    with count_queries() as before:
        auth.client.get(f"/reports/departments?{Q1}")
    volunteer = make.user()
    for day in range(3, 9):
        activity_id = held(app, "police", at(date(2026, 1, day), 9), at(date(2026, 1, day), 10), co=["education"])
        with app.app_context():
            shift = db.session.get(Activity, activity_id).shifts[0]
            db.session.add(
                Signup(
                    shift_id=shift.id,
                    user_id=volunteer.id,
                    status=SignupStatus.CONFIRMED,
                    checked_in_at=shift.starts_at,
                )
            )
            db.session.commit()
    with count_queries() as after:
        auth.client.get(f"/reports/departments?{Q1}")
    assert after.n == before.n


def test_an_activity_counts_as_held_only_once_its_coordinator_closes_it(app, make):
    """One definition of held (closed as completed) for R1, the department report, the children reached and safety
    coverage: an event that took place but is still open counts for none of them; closed from the coordinator's
    home page with one tap, for all of them."""
    make.admin(username="boss")
    for code in ["education", "police", "mca", "youth-league", "womens-federation"]:
        held(app, code, at(date(2025, 5, 10), 9), at(date(2025, 5, 10), 11), kind=ActivityKind.SAFETY_VILLAGE)
    event = held(
        app,
        "wcwc",
        at(date(2025, 6, 1), 9),
        at(date(2025, 6, 1), 11),
        kind=ActivityKind.SAFETY_VILLAGE,
        topics=[SafetyTopic.DROWNING],
        status=ActivityStatus.PUBLISHED,
    )
    village = make.village(name_en="Held Village")
    child = make.child(village.id)
    coordinator = Auth(app.test_client())
    coordinator.login(make.user(Role.COORDINATOR, organization="wcwc").username)
    with app.app_context():
        db.session.add(Attendance(activity_id=event, child_id=child.id, marked_by_id=make.user().id))
        db.session.commit()
    county = admin(app)

    def figures() -> tuple[str, list[str], str]:
        r1 = html.unescape(county.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True))
        r1 = r1.split('rule-R1"', 1)[1].split("</li>", 1)[0]
        rows = rows_of(county.client.get("/reports/departments?year=2025&lang=en").get_data(as_text=True))
        coverage = county.client.get("/reports/safety-coverage?topic=drowning&until=2025-12-31&lang=en")
        return r1, rows["Women and Children Work Committee Office"], coverage.get_data(as_text=True)

    r1, wcwc, coverage = figures()
    assert "Not met" in r1 and "Missing: Women and Children Work Committee Office" in r1
    assert wcwc[1] == "0" and wcwc[23] == "0"  # no activity, no child reached
    assert "0 / 1" in coverage and "1 / 1" not in coverage
    home = coordinator.client.get("/?lang=en").get_data(as_text=True)
    assert f'action="/manage/activities/{event}/complete"' in home  # waiting to be closed

    coordinator.post(f"/manage/activities/{event}/complete")

    with app.app_context():
        assert db.session.get(Activity, event).is_held
    r1, wcwc, coverage = figures()
    assert "Met" in r1 and "Not met" not in r1
    assert wcwc[1] == "1" and wcwc[1 + 13] == "1" and wcwc[23] == "1"
    assert "1 / 1" in coverage and "0 / 1" not in coverage
    assert f"/manage/activities/{event}/complete" not in coordinator.client.get("/").get_data(as_text=True)
