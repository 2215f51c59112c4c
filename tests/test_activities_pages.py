"""The activity pages through HTTP: listing, one-tap and one-screen sign-up, my activities, coordinator pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from itertools import pairwise

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from app.auth.models import Role, User
from app.extensions import db
from tests.codes import last_code, post_form
from tests.conftest import Auth, csrf_token


def logged_in(app, make, role=Role.VOLUNTEER, **extra) -> tuple[Auth, User]:
    user = make.user(role, **extra)
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth, user


def test_public_listing_shows_published_upcoming_activities_only(client, make):
    published = make.activity(title="公开活动")
    make.activity(title="草稿活动", publish=False)
    make.activity(title="已结束活动", days_ahead=-3)
    page = client.get("/activities").get_data(as_text=True)
    assert "公开活动" in page and "草稿活动" not in page and "已结束活动" not in page
    assert f'href="/a/{published.code}"' in page


def test_listing_filters_by_town_and_kind(client, make):
    from app.activities.models import ActivityKind

    make.activity(title="河口活动", town="hekou")
    make.activity(title="双石铺讲座", kind=ActivityKind.SAFETY_LECTURE)
    hekou = make.town("hekou")
    page = client.get(f"/activities?town={hekou.id}").get_data(as_text=True)
    assert "河口活动" in page and "双石铺讲座" not in page
    page = client.get("/activities?kind=safety_lecture").get_data(as_text=True)
    assert "双石铺讲座" in page and "河口活动" not in page


def test_bad_date_filter_is_explained(client, make):
    response = client.get("/activities?from=2026-13-45&lang=en")
    assert response.status_code == 200
    assert "valid date" in response.get_data(as_text=True)


def test_draft_activity_page_is_not_public(client, make):
    draft = make.activity(publish=False)
    assert client.get(f"/a/{draft.code}").status_code == 404


def test_logged_in_volunteer_signs_up_with_one_tap(app, make):
    activity = make.activity(shifts=[(9, 12, 3)])
    auth, _ = logged_in(app, make)
    response = auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert response.status_code == 302 and response.headers["Location"] == "/me/activities"
    page = auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    assert activity.title in page and "Confirmed" in page


def test_full_shift_shows_waitlist_position_on_my_page(app, make):
    activity = make.activity(shifts=[(9, 12, 1)])
    first, _ = logged_in(app, make)
    first.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    second, _ = logged_in(app, make)
    second.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert "Waitlist number 1" in second.client.get("/me/activities?lang=en").get_data(as_text=True)


def test_new_volunteer_registers_and_signs_up_in_one_screen(app, make, client):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    page = client.get(f"/a/{activity.code}").get_data(as_text=True)
    join_url = f"/a/{activity.code}/join?shift={activity.shifts[1].id}"
    assert f'href="{join_url}"' in page.replace("&amp;", "&")
    form = client.get(join_url).get_data(as_text=True)
    assert f'name="join-shift_id" value="{activity.shifts[1].id}" checked' in form
    assert 'type="password"' not in form
    data = {
        "join-shift_id": activity.shifts[1].id,
        "join-name": "新志愿者",
        "join-phone": "13700001234",
        "join-organization_id": "0",
        "join-consent": "y",
    }
    sent = post_form(client, f"/a/{activity.code}/join", {**data, "action": "send"}, prefix="join-")
    assert sent.status_code == 200 and 'name="join-code"' in sent.get_data(as_text=True)
    response = post_form(
        client, f"/a/{activity.code}/join", {**data, "join-code": last_code("13700001234")}, prefix="join-"
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13700001234"))
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        assert signup.shift_id == activity.shifts[1].id and signup.status == SignupStatus.CONFIRMED


def test_one_screen_sign_up_with_bad_input_creates_nothing(app, make, client):
    activity = make.activity()
    response = client.post(
        f"/a/{activity.code}/join?lang=en",
        data={
            "join-name": "x",
            "join-phone": "123",
            "join-code": "12",
            "join-organization_id": "0",
            "join-csrf_token": csrf_token(client, f"/a/{activity.code}/join"),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please choose a shift" in page and "valid mainland mobile number" in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "x")) is None


def test_volunteer_cancels_and_only_their_own(app, make):
    activity = make.activity()
    owner, user = logged_in(app, make)
    owner.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup_id = db.session.scalar(select(Signup.id).where(Signup.user_id == user.id))
    stranger, _ = logged_in(app, make)
    assert stranger.post(f"/signups/{signup_id}/cancel").status_code == 403
    assert owner.post(f"/signups/{signup_id}/cancel").status_code == 302
    with app.app_context():
        assert db.session.get(Signup, signup_id).status == SignupStatus.CANCELLED


# --- coordinators -----------------------------------------------------------------------------------------------


def activity_form(day: str, **overrides) -> dict:
    data = {
        "title": "暑期阅读营",
        "kind": "holiday_care",
        "organization_id": "0",
        "audience": "children",
        "town_id": "0",
        "village_id": "0",
        "venue": "村委会",
        "expected_children": "20",
        "description": "",
        "shifts-0-day": day,
        "shifts-0-start": "09:00",
        "shifts-0-end": "12:00",
        "shifts-0-capacity": "4",
        "shifts-0-role": "",
        "shifts-1-day": day,
        "shifts-1-start": "14:00",
        "shifts-1-end": "17:00",
        "shifts-1-capacity": "4",
        "shifts-1-role": "助教",
        "repeat_weeks": "1",
    }
    data.update(overrides)
    return data


def future_day(days: int = 10) -> str:
    from app.db_types import utcnow
    from app.timeutils import to_local

    return (to_local(utcnow()).date() + timedelta(days=days)).isoformat()


def org_id(app, code: str) -> int:
    from app.directory.models import Organization

    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == code))


def test_coordinator_creates_publishes_and_sees_the_roster(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    response = auth.post(
        "/manage/activities/new", activity_form(future_day(), organization_id=org_id(app, "youth-league"))
    )
    assert response.status_code == 302
    with app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.title == "暑期阅读营"))
        assert activity.status == ActivityStatus.DRAFT and len(activity.shifts) == 2
        assert activity.plan_tasks == [11]
        activity_id, code = activity.id, activity.code
    auth.post(f"/manage/activities/{activity_id}/publish")
    assert auth.client.get(f"/a/{code}").status_code == 200
    assert auth.client.get(f"/manage/activities/{activity_id}").status_code == 200


def test_series_creates_one_activity_per_week(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(future_day(), organization_id=org_id(app, "youth-league"), repeat_weeks="4")
    assert auth.post("/manage/activities/new", form).status_code == 302
    with app.app_context():
        starts = sorted(db.session.scalars(select(Activity.starts_at).where(Activity.title == "暑期阅读营")))
    assert len(starts) == 4
    assert all(b - a == timedelta(weeks=1) for a, b in pairwise(starts))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"shifts-0-end": "08:00"}, "must end after it starts"),
        (
            {
                "shifts-0-capacity": "",
                "shifts-1-day": "",
                "shifts-1-start": "",
                "shifts-1-end": "",
                "shifts-1-capacity": "",
            },
            "Each shift needs",
        ),
        ({"shifts-0-day": "2026-02-30"}, "Not a valid date"),
        ({"title": ""}, "Please enter a title"),
    ],
)
def test_bad_activity_input_is_explained_and_creates_nothing(app, make, overrides, message):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(future_day(), organization_id=org_id(app, "youth-league"), **overrides)
    response = auth.post("/manage/activities/new?lang=en", form)
    page = response.get_data(as_text=True)
    if response.status_code == 302:
        response = auth.client.get(response.headers["Location"])
    assert message in page or message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Activity).where(Activity.title == "暑期阅读营")) is None


def test_capacity_below_confirmed_is_refused(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 3)])
    for _ in range(2):
        volunteer, _ = logged_in(app, make)
        volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get(f"/manage/activities/{activity.id}/edit").get_data(as_text=True)
    assert f'name="shifts-0-shift_id" type="hidden" value="{activity.shifts[0].id}"' in page
    from app.timeutils import to_local

    start = to_local(activity.shifts[0].starts_at)
    form = activity_form(
        start.date().isoformat(),
        organization_id=org_id(app, "youth-league"),
        **{
            "shifts-0-shift_id": str(activity.shifts[0].id),
            "shifts-0-capacity": "1",
            "shifts-1-day": "",
            "shifts-1-start": "",
            "shifts-1-end": "",
            "shifts-1-capacity": "",
        },
    )
    response = auth.post(f"/manage/activities/{activity.id}/edit?lang=en", form)
    assert "fewer places" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id).shifts[0].capacity == 3


def test_editing_time_flags_volunteers_and_raises_sequence(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 3)])
    volunteer, _ = logged_in(app, make)
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    from app.timeutils import to_local

    start = to_local(activity.shifts[0].starts_at)
    form = activity_form(
        start.date().isoformat(),
        organization_id=org_id(app, "youth-league"),
        **{
            "shifts-0-shift_id": str(activity.shifts[0].id),
            "shifts-0-start": "10:00",
            "shifts-1-day": "",
            "shifts-1-start": "",
            "shifts-1-end": "",
            "shifts-1-capacity": "",
        },
    )
    assert auth.post(f"/manage/activities/{activity.id}/edit", form).status_code == 302
    assert "Time or place changed" in volunteer.client.get("/me/activities?lang=en").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id).sequence == activity.sequence + 1


OTHER_ORG_PAGES = [
    "/manage/activities/{id}",
    "/manage/activities/{id}/edit",
    "/manage/shifts/{shift}/roster.csv",
    "/manage/shifts/{shift}/checkin",
]


@pytest.mark.parametrize("path", OTHER_ORG_PAGES)
@pytest.mark.parametrize("who", ["other-coordinator", "volunteer"])
def test_only_the_own_organization_manages_an_activity(app, make, path, who):
    activity = make.activity("youth-league")
    if who == "volunteer":
        auth, _ = logged_in(app, make)
    else:
        auth, _ = logged_in(app, make, Role.COORDINATOR, organization="womens-federation")
    url = path.format(id=activity.id, shift=activity.shifts[0].id)
    assert auth.client.get(url).status_code == 403


def test_other_coordinator_cannot_cancel_or_publish(app, make):
    activity = make.activity("youth-league", publish=False)
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="womens-federation")
    assert auth.post(f"/manage/activities/{activity.id}/publish").status_code == 403
    assert auth.post(f"/manage/activities/{activity.id}/cancel", {"reason": "x"}).status_code == 403
    with app.app_context():
        assert db.session.get(Activity, activity.id).status == ActivityStatus.DRAFT


def test_roster_exports_in_csv_and_xlsx_with_the_same_rows(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 1)])
    for name in ("甲", "乙"):
        volunteer, _ = logged_in(app, make, name=name)
        volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    shift_id = activity.shifts[0].id
    csv_text = auth.client.get(f"/manage/shifts/{shift_id}/roster.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert rows[0][1] == "姓名"
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [("甲", "已确认", ""), ("乙", "候补中", "1")]
    xlsx = auth.client.get(f"/manage/shifts/{shift_id}/roster.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.freeze_panes == "A3"
    assert [sheet.cell(row=r, column=2).value for r in (3, 4)] == [r[1] for r in rows[1:]]


def test_calendar_view_shows_the_month(app, make):
    activity = make.activity("youth-league")
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    from app.timeutils import to_local

    month = to_local(activity.starts_at).strftime("%Y-%m")
    page = auth.client.get(f"/manage/activities?view=calendar&month={month}").get_data(as_text=True)
    assert activity.title in page


def test_duplicate_makes_a_draft_on_the_new_date(app, make):
    activity = make.activity("youth-league")
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    response = auth.post(f"/manage/activities/{activity.id}/duplicate", {"first_day": future_day(60)})
    assert response.status_code == 302
    with app.app_context():
        copies = db.session.scalars(
            select(Activity).where(Activity.title == activity.title, Activity.id != activity.id)
        ).all()
        assert len(copies) == 1 and copies[0].status == ActivityStatus.DRAFT
        assert copies[0].starts_at - activity.starts_at > timedelta(days=40)


def test_volunteer_deletes_account_and_past_service_stays_anonymised(app, make):
    from app.db_types import utcnow

    past = make.activity(shifts=[(9, 12, 3)])
    upcoming = make.activity(shifts=[(9, 12, 1)], days_ahead=20)
    auth, user = logged_in(app, make, name="将离开", phone="13611112222", username="leaving")
    auth.post(f"/a/{past.code}/signup", {"shift_id": past.shifts[0].id})
    auth.post(f"/a/{upcoming.code}/signup", {"shift_id": upcoming.shifts[0].id})
    waiting, waiter = logged_in(app, make)
    waiting.post(f"/a/{upcoming.code}/signup", {"shift_id": upcoming.shifts[0].id})
    with app.app_context():  # the first activity is moved into the past, and was served
        signup = db.session.scalar(
            select(Signup).where(Signup.user_id == user.id, Signup.shift_id == past.shifts[0].id)
        )
        signup.shift.starts_at -= timedelta(days=30)
        signup.shift.ends_at -= timedelta(days=30)
        signup.checked_in_at = signup.shift.starts_at
        db.session.commit()
    assert auth.post("/me/delete").status_code == 302
    with app.app_context():
        row = db.session.get(User, user.id)
        assert row.phone is None and row.username is None and row.name != "将离开" and not row.is_active
        kept = db.session.scalar(select(Signup).where(Signup.user_id == user.id, Signup.shift_id == past.shifts[0].id))
        assert kept.status == SignupStatus.CONFIRMED  # still counts
        moved_up = db.session.scalar(select(Signup).where(Signup.user_id == waiter.id))
        assert moved_up.status == SignupStatus.CONFIRMED
        assert utcnow() > row.anonymised_at
    assert auth.client.get("/me/activities").status_code == 302
    assert Auth(app.test_client()).login("13611112222").status_code == 401


def test_certificate_lists_served_hours(app, make):
    activity = make.activity(shifts=[(9, 12, 3)])
    auth, user = logged_in(app, make, name="证明人")
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        signup.checked_in_at = signup.shift.starts_at
        signup.checked_out_at = signup.shift.starts_at + timedelta(hours=2)
        db.session.commit()
    auth.post("/me/certificate/issue")
    page = auth.client.get("/me/certificate?lang=en").get_data(as_text=True)
    assert "证明人" in page and activity.title in page and "Total service hours: 2.0" in page


def test_coordinator_sees_the_organizations_service_hours(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 3)])
    volunteer, user = logged_in(app, make)
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        signup.checked_in_at = signup.shift.starts_at
        db.session.commit()
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    assert "this year: 3.0" in auth.client.get("/manage/activities?lang=en").get_data(as_text=True)
    other, _ = logged_in(app, make, Role.COORDINATOR, organization="womens-federation")
    assert "this year: 0.0" in other.client.get("/manage/activities?lang=en").get_data(as_text=True)


def test_anonymous_activity_page_shows_fresh_places_after_each_sign_up(app, make, client):
    """The rendered page is cached for anonymous visitors, but never shows stale free places."""
    activity = make.activity(shifts=[(9, 12, 5)])
    assert "5 of 5 places free" in client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "5 of 5 places free" in client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    volunteer, _ = logged_in(app, make)
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert "4 of 5 places free" in client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "剩余 4 个" in client.get(f"/a/{activity.code}?lang=zh_Hans_CN").get_data(as_text=True)
