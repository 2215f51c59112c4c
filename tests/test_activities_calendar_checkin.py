"""Calendars, QR codes and posters, and check-in at the venue."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.activities.checkin import make_token, read_token, star_level
from app.activities.models import Activity, Shift, Signup, service_minutes
from app.activities.services import ActivityError
from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.extensions import db
from tests.conftest import Auth

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def logged_in(app, make, role=Role.VOLUNTEER, **extra) -> tuple[Auth, User]:
    user = make.user(role, **extra)
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth, user


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_activity_calendar_has_one_event_per_shift_in_shanghai_time(client, make):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    response = client.get(f"/a/{activity.code}/calendar.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]
    found = events(response.data)
    assert [str(e["uid"]) for e in found] == [f"shift-{s.id}@shouhu.fengxian" for s in activity.shifts]
    first = found[0]
    assert first.decoded("dtstart").astimezone(UTC) == activity.shifts[0].starts_at
    assert str(first.decoded("dtstart").tzinfo) == "Asia/Shanghai"
    assert "村委会" in str(first["location"])
    assert str(first["url"]) == f"http://shouhu.test/a/{activity.code}"
    assert str(first["status"]) == "CONFIRMED"
    assert "organizer" in first


def test_cancellation_and_changes_show_in_the_calendar(app, make):
    activity = make.activity("youth-league")
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    before = int(events(auth.client.get(f"/a/{activity.code}/calendar.ics").data)[0]["sequence"])
    auth.post(f"/manage/activities/{activity.id}/cancel", {"reason": "暴雨"})
    event = events(auth.client.get(f"/a/{activity.code}/calendar.ics").data)[0]
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == before + 1


def test_personal_feed_holds_confirmed_shifts_and_dies_when_reset(app, make):
    activity = make.activity(shifts=[(9, 12, 3)])
    auth, user = logged_in(app, make)
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    page = auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).calendar_token is None  # opening the page changed nothing
    assert "Get my calendar link" in page and ".ics" not in page
    auth.post("/me/calendar/reset")  # the one tap that creates it
    with app.app_context():
        token = db.session.get(User, user.id).calendar_token
    assert token and f"/calendar/{token}.ics" in auth.client.get("/me/activities").get_data(as_text=True)
    feed = auth.client.get(f"/calendar/{token}.ics")
    assert [str(e["uid"]) for e in events(feed.data)] == [f"shift-{activity.shifts[0].id}@shouhu.fengxian"]
    assert auth.client.get("/me/calendar.png").mimetype == "image/png"
    auth.post("/me/calendar/reset")
    assert auth.client.get(f"/calendar/{token}.ics").status_code == 404
    with app.app_context():
        renewed = db.session.get(User, user.id).calendar_token
        assert renewed and renewed != token
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "users", AuditEntry.object_id == user.id)
        ).all()
        assert "account.calendar_address_created" in actions and "account.calendar_address_renewed" in actions
    assert len(events(auth.client.get(f"/calendar/{renewed}.ics").data)) == 1


def test_public_feeds_per_organization_and_town(client, make):
    activity = make.activity("youth-league", town="hekou")
    make.activity("womens-federation", publish=False, town="hekou")
    assert len(events(client.get("/organizations/youth-league/calendar.ics").data)) == 1
    town_events = events(client.get("/towns/hekou/calendar.ics").data)
    assert [str(e["summary"]) for e in town_events] == [activity.title]
    assert client.get("/towns/nowhere/calendar.ics").status_code == 404


def test_qr_codes_and_poster(client, make):
    activity = make.activity()
    png = client.get(f"/a/{activity.code}/qr.png")
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(f"/a/{activity.code}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    poster = client.get(f"/a/{activity.code}/poster").get_data(as_text=True)
    assert f"http://shouhu.test/a/{activity.code}" in poster
    assert activity.title in poster and "qr.svg" in poster
    assert str(activity.id) not in activity.code or len(activity.code) >= 8


# --- check-in ---------------------------------------------------------------------------------------------------


def _shift_now(make, app, *, starts_in_minutes: int = 30, capacity: int = 3) -> Shift:
    """A published activity whose single shift starts soon (inside the check-in window)."""
    activity = make.activity(shifts=[(9, 12, capacity)])
    with app.app_context():
        row = db.session.get(Activity, activity.id)
        from app.db_types import utcnow

        start = utcnow() + timedelta(minutes=starts_in_minutes)
        row.shifts[0].starts_at, row.shifts[0].ends_at = start, start + timedelta(hours=3)
        row.starts_at, row.ends_at = row.shifts[0].starts_at, row.shifts[0].ends_at
        db.session.commit()
        shift = row.shifts[0]
        db.session.refresh(shift)
        db.session.expunge(shift)
        return shift


def token_for(app, shift_id: int) -> str:
    with app.test_request_context():
        return make_token(db.session.get(Shift, shift_id))


def test_scanning_shows_a_button_and_a_get_changes_nothing(app, make):
    shift = _shift_now(make, app)
    auth, user = logged_in(app, make)
    url = f"/c/{shift.id}/{token_for(app, shift.id)}"
    page = auth.client.get(url + "?lang=en").get_data(as_text=True)
    assert "Check in" in page
    with app.app_context():
        assert db.session.scalar(select(Signup).where(Signup.user_id == user.id)) is None


def test_check_in_twice_records_one_check_in_then_check_out(app, make):
    shift = _shift_now(make, app)
    auth, user = logged_in(app, make)
    url = f"/c/{shift.id}/{token_for(app, shift.id)}"
    assert auth.post(url, {"action": "in"}).status_code == 302  # walk-in: added on the spot, there is room
    with app.app_context():
        first = db.session.scalar(select(Signup.checked_in_at).where(Signup.user_id == user.id))
    auth.post(url, {"action": "in"})
    with app.app_context():
        assert db.session.scalar(select(Signup.checked_in_at).where(Signup.user_id == user.id)) == first
    auth.post(url, {"action": "out"})
    with app.app_context():
        assert db.session.scalar(select(Signup.checked_out_at).where(Signup.user_id == user.id)) is not None


@pytest.mark.parametrize("problem", ["tampered", "wrong_shift", "too_early"])
def test_bad_check_in_codes_are_refused(app, make, problem):
    shift = _shift_now(make, app, starts_in_minutes=120 if problem == "too_early" else 30)
    other = _shift_now(make, app)
    token = token_for(app, shift.id)
    target = shift.id
    if problem == "tampered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    if problem == "wrong_shift":
        target = other.id
    auth, user = logged_in(app, make)
    response = auth.post(f"/c/{target}/{token}?lang=en", {"action": "in"})
    assert response.status_code == 400
    expected = {"tampered": "not valid", "wrong_shift": "another shift", "too_early": "Check-in opens at"}[problem]
    assert expected in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Signup).where(Signup.user_id == user.id)) is None


def test_expired_check_in_code_is_refused(app, make, monkeypatch):
    """A photo of the screen taken ten minutes ago no longer works (itsdangerous' clock is set back to make it)."""
    import time

    shift = _shift_now(make, app)
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 600)
    token = token_for(app, shift.id)
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)
    with app.test_request_context(), pytest.raises(ActivityError) as error:
        read_token(token, shift.id)
    assert error.value.code == "token_expired"


def test_full_shift_refuses_a_walk_in(app, make):
    shift = _shift_now(make, app, capacity=1)
    taken, _ = logged_in(app, make)
    url = f"/c/{shift.id}/{token_for(app, shift.id)}"
    taken.post(url, {"action": "in"})
    late, _ = logged_in(app, make)
    response = late.post(url + "?lang=en", {"action": "in"})
    assert response.status_code == 409 and "full" in response.get_data(as_text=True)


def test_service_minutes_are_clamped_to_the_shift(app, make):
    shift = _shift_now(make, app)
    with app.app_context():
        row = db.session.get(Shift, shift.id)
        signup = Signup(shift=row, user_id=make.user().id, status="confirmed")
        signup.checked_in_at = row.starts_at - timedelta(minutes=40)  # early: counts from the start
        assert service_minutes(signup) == 180  # no check-out: counts to the end
        signup.checked_out_at = row.starts_at + timedelta(minutes=90)
        assert service_minutes(signup) == 90
        signup.checked_out_at = row.ends_at + timedelta(hours=2)
        assert service_minutes(signup) == 180
        signup.minutes_override = 75
        assert service_minutes(signup) == 75
        db.session.rollback()


@pytest.mark.parametrize(
    ("hours", "stars"), [(0, 0), (99.9, 0), (100, 1), (300, 2), (600, 3), (999, 3), (1000, 4), (1500, 5)]
)
def test_star_levels_follow_the_national_thresholds(hours, stars):
    assert star_level(hours) == stars


def test_check_in_screen_shows_a_fresh_code_to_the_coordinator(app, make):
    shift = _shift_now(make, app)
    auth, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    page = auth.client.get(f"/manage/shifts/{shift.id}/checkin").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and f"/c/{shift.id}/" in page
    image = page.split('class="checkin-qr" src="')[1].split('"')[0]
    assert auth.client.get(image).mimetype == "image/png"


def test_stored_minutes_follow_every_change_and_equal_a_recount(app, make):
    """``Signup.minutes`` (what the reports sum) is kept by the flush hook: check-in (also a walk-in's), check-out,
    the coordinator's correction, and moving the shift's times all leave it equal to ``service_minutes``."""
    from app.activities.checkin import check_in, check_out

    shift = _shift_now(make, app)
    walk_in, early, coordinator = make.user(), make.user(), make.admin()

    def stored_and_recounted() -> list[tuple[int, int]]:
        db.session.expire_all()
        signups = db.session.scalars(select(Signup).where(Signup.shift_id == shift.id).order_by(Signup.id)).all()
        return [(s.minutes, service_minutes(s)) for s in signups]

    with app.app_context():
        row = db.session.get(Shift, shift.id)
        start = row.starts_at
        check_in(row, db.session.get(User, walk_in.id), by=coordinator, now=start + timedelta(minutes=30))
        signup = check_in(row, db.session.get(User, early.id), by=coordinator, now=start - timedelta(minutes=20))
        check_out(signup, by=coordinator, now=start + timedelta(minutes=50))
        db.session.commit()
        assert stored_and_recounted() == [(150, 150), (50, 50)]
        row = db.session.get(Shift, shift.id)
        row.starts_at, row.ends_at = start + timedelta(minutes=40), start + timedelta(hours=2)
        db.session.commit()
        assert stored_and_recounted() == [(80, 80), (10, 10)]
        db.session.scalars(select(Signup).where(Signup.shift_id == shift.id)).first().minutes_override = 200
        db.session.commit()
        assert stored_and_recounted() == [(200, 200), (10, 10)]
