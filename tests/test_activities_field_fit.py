"""Issue 13 for activities: people to reach (contact, directions, what to bring), a check-in screen that says its
state, and an activity form that keeps bad data off public pages and lists every error at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.activities.checkin import CheckInState, check_in, check_in_state, read_token
from app.activities.models import Activity, Shift, Signup
from app.activities.services import (
    ActivityData,
    ActivityError,
    ShiftData,
    create_activity,
    duplicate_activity,
    update_activity,
)
from app.auth.models import Role, User
from app.db_types import utcnow
from app.directory.models import Organization
from app.extensions import db
from tests.test_activities_calendar_checkin import _shift_now, logged_in, token_for
from tests.test_activities_pages import activity_form, future_day, org_id

pytestmark = pytest.mark.pgbouncer

REACH = {
    "contact_name": "王老师",
    "contact_phone": "0917-471 2345",
    "map_url": "https://uri.amap.com/marker?position=106.52,33.91",
    "what_to_bring": "水杯、遮阳帽",
}


def _data(app, start, **extra) -> ActivityData:
    organization = db.session.scalar(select(Organization).where(Organization.code == "youth-league"))
    return ActivityData(
        title="测试",
        kind="holiday_care",
        organization=organization,
        shifts=[ShiftData(start, start + timedelta(hours=2), 3)],
        **extra,
    )


def _author() -> User:
    user = db.session.scalar(select(User).where(User.username == "author-field-fit"))
    if user is not None:
        return user
    user = User(role=Role.ADMIN, name="author", password_hash="x", username="author-field-fit")
    db.session.add(user)
    db.session.flush()
    return user


# --- people to reach --------------------------------------------------------------------------------------------


def test_contact_and_directions_are_saved_and_shown_to_those_signed_up_only(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(future_day(), organization_id=org_id(app, "youth-league"), **REACH)
    assert auth.post("/manage/activities/new", form).status_code == 302
    with app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.title == "暑期阅读营"))
        assert (activity.contact_phone, activity.map_url, activity.is_contact_on_poster) == (
            "0917-471 2345",
            REACH["map_url"],
            False,
        )
        code, shift_id, activity_id = activity.code, activity.shifts[0].id, activity.id
    auth.post(f"/manage/activities/{activity_id}/publish")
    anonymous = app.test_client().get(f"/a/{code}?lang=en").get_data(as_text=True)
    assert "Directions" in anonymous and "水杯" in anonymous
    assert "tel:" not in anonymous and "0917" not in anonymous
    volunteer, _ = logged_in(app, make)
    volunteer.post(f"/a/{code}/signup", {"shift_id": shift_id})
    page = volunteer.client.get(f"/a/{code}?lang=en").get_data(as_text=True)
    assert 'href="tel:09174712345"' in page and "王老师" in page
    mine = volunteer.client.get("/me/activities?lang=en").get_data(as_text=True)
    assert 'href="tel:09174712345"' in mine and REACH["map_url"].replace("&", "&amp;") in mine
    poster = app.test_client().get(f"/a/{code}/poster").get_data(as_text=True)
    assert "tel:" not in poster and "水杯" in poster


def test_contact_on_the_poster_only_when_chosen(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(future_day(), organization_id=org_id(app, "youth-league"), is_contact_on_poster="y", **REACH)
    auth.post("/manage/activities/new", form)
    with app.app_context():
        code = db.session.scalar(select(Activity.code).where(Activity.title == "暑期阅读营"))
    poster = auth.client.get(f"/a/{code}/poster").get_data(as_text=True)
    assert 'href="tel:09174712345"' in poster


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("map_url", "http://map.example/x", "https://"),
        ("map_url", "javascript:alert(1)", "https://"),
        ("map_url", "https://", "https://"),
        ("contact_phone", "call me", "phone number"),
        ("contact_name", "名" * 61, "60"),
    ],
)
def test_bad_contact_or_map_link_is_refused(app, make, field, value, message):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(future_day(), organization_id=org_id(app, "youth-league"), **{field: value})
    response = auth.post("/manage/activities/new?lang=en", form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Activity).where(Activity.title == "暑期阅读营")) is None


def test_service_refuses_a_map_link_that_is_not_https(app):
    with app.test_request_context():
        data = _data(app, utcnow() + timedelta(days=2), map_url="ftp://x.example/")
        with pytest.raises(ActivityError) as error:
            create_activity(data, by=_author())
        assert error.value.code == "bad_map_url"
        db.session.rollback()


def test_a_copy_keeps_the_contact_and_directions(app):
    with app.test_request_context():
        (activity,) = create_activity(_data(app, utcnow() + timedelta(days=2), **REACH), by=_author())
        copy = duplicate_activity(activity, shift_by=timedelta(days=7), by=_author())
        assert (copy.contact_phone, copy.map_url, copy.what_to_bring) == (
            REACH["contact_phone"],
            REACH["map_url"],
            REACH["what_to_bring"],
        )
        db.session.rollback()


def test_reminder_gives_the_contact_phone(app):
    from app.notifications.kinds import KINDS, shift_params

    with app.test_request_context():
        (activity,) = create_activity(_data(app, utcnow() + timedelta(days=1), **REACH), by=_author())
        params = {**shift_params(activity.shifts[0]), "come": "/x", "cancel": "/y", "occasion": "day_before"}
        assert "0917-471 2345" in KINDS["shift_reminder"].render(params).text
        db.session.rollback()


# --- check-in that explains itself ------------------------------------------------------------------------------


def test_check_in_screen_of_a_shift_next_week_says_when_it_opens_and_has_no_code(app, make):
    shift = _shift_now(make, app, starts_in_minutes=8 * 24 * 60)
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get(f"/manage/shifts/{shift.id}/checkin?lang=en").get_data(as_text=True)
    assert "Check-in opens at" in page
    assert "checkin-qr" not in page and f"/c/{shift.id}/" not in page


def test_check_in_screen_after_the_shift_says_closed_and_has_no_code(app, make):
    shift = _shift_now(make, app, starts_in_minutes=-4 * 60)
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get(f"/manage/shifts/{shift.id}/checkin?lang=en").get_data(as_text=True)
    assert "Check-in closed at" in page and "checkin-qr" not in page


def test_check_in_states_follow_the_window(app, make):
    shift = _shift_now(make, app, starts_in_minutes=120)
    with app.app_context():
        row = db.session.get(Shift, shift.id)
        assert check_in_state(row) == CheckInState.NOT_YET
        assert check_in_state(row, row.starts_at - timedelta(minutes=59)) == CheckInState.OPEN
        assert check_in_state(row, row.ends_at + timedelta(minutes=1)) == CheckInState.CLOSED


def test_an_early_scan_says_the_time_check_in_opens(app, make):
    from app.timeutils import to_local

    shift = _shift_now(make, app, starts_in_minutes=180)
    token = token_for(app, shift.id)
    with app.test_request_context("/?lang=en"), pytest.raises(ActivityError) as error:
        read_token(token, shift.id)
    opens = to_local(shift.starts_at - timedelta(hours=1)).strftime("%H:%M")
    assert error.value.code == "outside_window" and f"opens at {opens}" in error.value.message


def test_an_early_check_in_counts_from_the_shift_start(app, make):
    shift = _shift_now(make, app, starts_in_minutes=50)
    volunteer = make.user(Role.VOLUNTEER)
    with app.test_request_context():
        row = db.session.get(Shift, shift.id)
        user = db.session.get(User, volunteer.id)
        signup = check_in(row, user, by=user, now=row.starts_at - timedelta(minutes=50))
        signup.checked_out_at = row.starts_at + timedelta(minutes=30)
        db.session.flush()
        assert db.session.get(Signup, signup.id).minutes == 30
        db.session.rollback()


# --- the form ---------------------------------------------------------------------------------------------------


def test_a_new_activity_cannot_start_in_the_past(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form("2020-03-01", organization_id=org_id(app, "youth-league"))
    response = auth.post("/manage/activities/new?lang=en", form)
    assert response.status_code == 422 and "cannot start in the past" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Activity).where(Activity.title == "暑期阅读营")) is None


def test_service_refuses_new_shifts_in_the_past(app):
    with app.test_request_context():
        with pytest.raises(ActivityError) as error:
            create_activity(_data(app, utcnow() - timedelta(hours=1)), by=_author())
        assert error.value.code == "shift_in_past"
        (activity,) = create_activity(_data(app, utcnow() + timedelta(days=3)), by=_author())
        with pytest.raises(ActivityError) as error:
            duplicate_activity(activity, shift_by=timedelta(days=-30), by=_author())
        assert error.value.code == "shift_in_past"
        db.session.rollback()


def test_an_existing_shift_may_be_corrected_into_the_past_but_a_new_one_may_not(app):
    with app.test_request_context():
        author = _author()
        (activity,) = create_activity(_data(app, utcnow() + timedelta(hours=3)), by=author)
        kept = activity.shifts[0]
        earlier = utcnow() - timedelta(hours=1)
        data = _data(app, earlier)
        data.shifts = [ShiftData(earlier, earlier + timedelta(hours=5), 3, id=kept.id)]
        update_activity(activity, data, by=author)
        assert activity.shifts[0].starts_at == earlier
        data.shifts.append(ShiftData(earlier, earlier + timedelta(hours=2), 3))
        with pytest.raises(ActivityError) as error:
            update_activity(activity, data, by=author)
        assert error.value.code == "shift_in_past"
        db.session.rollback()


def test_every_error_is_listed_at_the_top_with_links_to_the_fields(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    form = activity_form(
        "2020-03-01",
        organization_id=org_id(app, "youth-league"),
        title="",
        map_url="http://x",
        **{"shifts-1-end": "13:00"},
    )
    response = auth.post("/manage/activities/new?lang=en", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    for anchor in ('href="#title"', 'href="#map_url"', 'href="#shifts-0-day"', 'href="#shifts-1-end"'):
        assert anchor in summary
    assert "Please correct 5 things" in summary  # title, map link, both shifts in the past, shift 2 ends early


def test_lengths_are_limited_as_the_columns_are_and_shown(app, make):
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get("/manage/activities/new?lang=en").get_data(as_text=True)
    title_input = page.split('id="title"')[0].rsplit("<input", 1)[1] + page.split('id="title"')[1].split(">")[0]
    assert 'maxlength="120"' in title_input and "At most 120 characters" in page
    for name, length in (("venue", 200), ("contact_name", 60), ("contact_phone", 20), ("map_url", 500)):
        assert f'maxlength="{length}"' in page.split(f'id="{name}"')[1].split(">")[0] or (
            f'maxlength="{length}"' in page.split(f'id="{name}"')[0].rsplit("<input", 1)[1]
        )


def test_a_shift_added_to_an_existing_activity_cannot_be_in_the_past(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 3)])
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get(f"/manage/activities/{activity.id}/edit").get_data(as_text=True)
    kept_id = page.split('name="shifts-0-shift_id" type="hidden" value="')[1].split('"')[0]
    form = activity_form(
        future_day(7),
        organization_id=org_id(app, "youth-league"),
        title=activity.title,
        **{"shifts-0-shift_id": kept_id, "shifts-1-day": "2020-03-01"},
    )
    response = auth.post(f"/manage/activities/{activity.id}/edit?lang=en", form)
    assert response.status_code == 422 and "cannot start in the past" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(Activity, activity.id).shifts) == 1
