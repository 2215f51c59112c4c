"""Every button a coordinator (and a volunteer) presses on the activity pages, submitted through HTTP, with the
change checked in the database: lifecycle, check-in by hand, the minutes correction, training participants, the
"changed" notices, and the one-screen join that leaves no account behind when the sign-up is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.activities.models import Activity, ActivityKind, ActivityStatus, Shift, Signup, SignupStatus
from app.activities.models import TrainingParticipant as Participant
from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.db_types import utcnow
from app.extensions import db
from tests.codes import last_code, post_form
from tests.conftest import Auth, csrf_token

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def _login(app, user) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(user.login_name).status_code == 302
    return auth


def _coordinator(app, make, organization: str = "youth-league") -> Auth:
    return _login(app, make.user(Role.COORDINATOR, organization=organization))


def _signed_up(app, make, activity, *, started: bool = False) -> tuple[User, int]:
    volunteer = make.user(Role.VOLUNTEER)
    _login(app, volunteer).post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == volunteer.id))
        if started:  # the shift began an hour ago
            length = signup.shift.ends_at - signup.shift.starts_at
            signup.shift.starts_at = utcnow() - timedelta(hours=1)
            signup.shift.ends_at = signup.shift.starts_at + length
        db.session.commit()
        return volunteer, signup.id


def _signup(app, signup_id: int) -> Signup:
    with app.app_context():
        signup = db.session.get(Signup, signup_id)
        db.session.expunge(signup)
        return signup


def _actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.expunge_all()
        return entries


def test_publish_complete_and_the_closed_activity_is_no_longer_editable(app, make):
    activity = make.activity("youth-league", publish=False, days_ahead=5)
    auth = _coordinator(app, make)
    assert auth.post(f"/manage/activities/{activity.id}/publish").status_code == 302
    with app.app_context():
        assert db.session.get(Activity, activity.id).status == ActivityStatus.PUBLISHED
    assert auth.post(f"/manage/activities/{activity.id}/complete").status_code == 302
    with app.app_context():
        closed = db.session.get(Activity, activity.id)
        assert closed.status == ActivityStatus.COMPLETED and closed.is_held and not closed.is_editable
    page = auth.client.get(f"/manage/activities/{activity.id}?lang=en").get_data(as_text=True)
    assert f"/manage/activities/{activity.id}/edit" not in page and "Cancel the activity" not in page


def test_cancel_with_a_reason_and_duplicate_into_a_draft(app, make):
    activity = make.activity("youth-league", days_ahead=5)
    auth = _coordinator(app, make)
    assert auth.post(f"/manage/activities/{activity.id}/cancel", {"reason": "暴雨预警"}).status_code == 302
    with app.app_context():
        cancelled = db.session.get(Activity, activity.id)
        assert cancelled.status == ActivityStatus.CANCELLED and cancelled.cancel_reason == "暴雨预警"
    day = (utcnow() + timedelta(days=40)).date().isoformat()
    response = auth.post(f"/manage/activities/{activity.id}/duplicate", {"first_day": day})
    with app.app_context():
        copy = db.session.scalar(select(Activity).where(Activity.title == activity.title, Activity.id != activity.id))
        assert copy.status == ActivityStatus.DRAFT and copy.cancel_reason == ""
        assert response.headers["Location"] == f"/manage/activities/{copy.id}/edit"


def test_an_activity_that_has_ended_keeps_its_times(app, make):
    activity = make.activity("youth-league", days_ahead=-2)
    auth = _coordinator(app, make)
    assert "/edit" not in auth.client.get(f"/manage/activities/{activity.id}").get_data(as_text=True)
    form = {"title": "改名", "kind": "holiday_care", "organization_id": str(activity.organization_id)}
    form |= {"audience": "children", "town_id": "0", "village_id": "0", "expected_children": "0"}
    start = activity.shifts[0].starts_at + timedelta(days=30)
    form |= {"shifts-0-shift_id": str(activity.shifts[0].id), "shifts-0-day": start.date().isoformat()}
    form |= {"shifts-0-start": "09:00", "shifts-0-end": "12:00", "shifts-0-capacity": "5", "repeat_weeks": "1"}
    page = auth.post(f"/manage/activities/{activity.id}/edit?lang=en", form).get_data(as_text=True)
    assert "This activity has ended" in page
    with app.app_context():
        kept = db.session.get(Activity, activity.id)
        assert kept.title == activity.title and kept.shifts[0].starts_at == activity.shifts[0].starts_at


@pytest.mark.parametrize("action", ["checkin", "checkout", "noshow", "cancel"])
def test_coordinator_acts_on_a_signup_by_hand(app, make, action):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    volunteer, signup_id = _signed_up(app, make, activity, started=True)
    auth = _coordinator(app, make)
    if action == "checkout":
        auth.post(f"/manage/signups/{signup_id}/checkin")
    response = auth.post(f"/manage/signups/{signup_id}/{action}", {"back": "https://evil.example/"})
    assert response.headers["Location"] == f"/manage/shifts/{activity.shifts[0].id}/checkin"  # no open redirect
    signup = _signup(app, signup_id)
    if action == "checkin":
        assert signup.checked_in_at is not None and signup.minutes > 0
    elif action == "checkout":
        assert signup.checked_out_at is not None and signup.checked_out_at >= signup.checked_in_at
    elif action == "noshow":
        assert signup.is_no_show and signup.checked_in_at is None
    else:
        assert signup.status == SignupStatus.CANCELLED
    audited = {"checkin": "signup.checked_in", "checkout": "signup.checked_out", "noshow": "signup.no_show"}
    (entry,) = _actions(app, audited.get(action, "signup.cancelled"))
    assert entry.object_id == signup_id and entry.actor_id is not None and entry.actor_id != volunteer.id


def test_minutes_correction_wins_and_is_audited_with_old_and_new(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    _volunteer, signup_id = _signed_up(app, make, activity, started=True)
    auth = _coordinator(app, make)
    auth.post(f"/manage/signups/{signup_id}/checkin")
    before = _signup(app, signup_id).minutes
    assert auth.post(f"/manage/signups/{signup_id}/minutes", {"minutes": "150"}).status_code == 302
    signup = _signup(app, signup_id)
    assert signup.minutes_override == 150 and signup.minutes == 150
    (entry,) = _actions(app, "signup.minutes_corrected")
    assert entry.detail["old"] == before and entry.detail["new"] == 150


@pytest.mark.parametrize("typed", ["181", "-5", "abc", ""])
def test_minutes_outside_the_shift_are_refused_and_change_nothing(app, make, typed):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])  # a three-hour shift: 180 minutes at most
    _volunteer, signup_id = _signed_up(app, make, activity)
    auth = _coordinator(app, make)
    response = auth.post(f"/manage/signups/{signup_id}/minutes?lang=en", {"minutes": typed}, follow_redirects=True)
    assert response.status_code == 200
    assert "from 0 to 180" in response.get_data(as_text=True)
    assert _signup(app, signup_id).minutes_override is None
    assert _actions(app, "signup.minutes_corrected") == []


def test_unknown_signup_action_is_404_and_changes_nothing(app, make):
    activity = make.activity("youth-league")
    _volunteer, signup_id = _signed_up(app, make, activity)
    auth = _coordinator(app, make)
    assert auth.post(f"/manage/signups/{signup_id}/delete").status_code == 404
    assert _signup(app, signup_id).status == SignupStatus.CONFIRMED


def test_training_participants_are_added_removed_and_audited(app, make):
    training = make.activity("youth-league", kind=ActivityKind.DIRECTOR_TRAINING, days_ahead=-1)
    village = make.village()
    first, second = (make.user(Role.CHILD_DIRECTOR, villages=[village.id]) for _ in range(2))
    auth = _coordinator(app, make)
    url = f"/manage/activities/{training.id}/participants"
    assert auth.post(url, {"director_ids": [str(first.id), str(second.id)]}).status_code == 302
    auth.post(url, {"director_ids": [str(second.id)]})
    with app.app_context():
        chosen = db.session.scalars(select(Participant.user_id).where(Participant.activity_id == training.id))
        assert set(chosen) == {second.id}
    added, removed = _actions(app, "training.participants")
    assert added.detail["added"] == sorted([first.id, second.id]) and added.detail["removed"] == []
    assert removed.detail["added"] == [] and removed.detail["removed"] == [first.id]


def test_only_active_child_directors_are_participants_and_a_deactivated_one_stays_trained(app, make):
    training = make.activity("youth-league", kind=ActivityKind.DIRECTOR_TRAINING, days_ahead=-1)
    village = make.village()
    leaving = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    volunteer = make.user(Role.VOLUNTEER)
    auth = _coordinator(app, make)
    url = f"/manage/activities/{training.id}/participants"
    auth.post(url, {"director_ids": [str(leaving.id)]})
    page = auth.post(f"{url}?lang=en", {"director_ids": [str(volunteer.id)]}, follow_redirects=True)
    assert "Only active child directors" in page.get_data(as_text=True)
    with app.app_context():
        db.session.get(User, leaving.id).is_active = False
        db.session.commit()
    auth.post(url, {"director_ids": []})  # the page no longer lists them: saving must not undo their training
    with app.app_context():
        chosen = db.session.scalars(select(Participant.user_id).where(Participant.activity_id == training.id))
        assert set(chosen) == {leaving.id}


def test_participants_only_for_a_training(app, make):
    activity = make.activity("youth-league")
    assert _coordinator(app, make).client.get(f"/manage/activities/{activity.id}/participants").status_code == 404


def test_volunteer_clears_the_changed_notices(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 3)])
    volunteer, signup_id = _signed_up(app, make, activity)
    with app.app_context():
        db.session.get(Signup, signup_id).changed_at = utcnow()
        db.session.commit()
    auth = _login(app, volunteer)
    assert "Time or place changed" in auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    assert auth.post("/me/activities/seen").status_code == 302
    assert _signup(app, signup_id).changed_at is None
    assert "Time or place changed" not in auth.client.get("/me/activities?lang=en").get_data(as_text=True)


def test_a_refused_sign_up_on_the_join_screen_leaves_no_account(app, make, client):
    activity = make.activity(shifts=[(9, 12, 3)])
    page = f"/a/{activity.code}/join"
    form = {"join-shift_id": str(activity.shifts[0].id), "join-name": "新来的", "join-phone": "13755556666"}
    form |= {"join-organization_id": "0", "join-consent": "y"}
    post_form(client, page, {**form, "action": "send"}, prefix="join-")
    token = csrf_token(client, page)
    with app.app_context():  # the shift starts while the newcomer waits for the code
        shift = db.session.get(Shift, activity.shifts[0].id)
        shift.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    form["join-code"] = last_code("13755556666")
    response = client.post(f"{page}?lang=en", data={**form, "join-csrf_token": token})
    assert response.status_code == 422
    assert "already started" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.phone == "13755556666")) == 0
        assert db.session.scalar(select(func.count(Signup.id)).where(Signup.shift_id == activity.shifts[0].id)) == 0
    assert client.get("/me/activities").status_code == 302  # not logged in either


def test_shift_is_open_for_signup_only_while_published_and_not_started(app, make):
    activity = make.activity(days_ahead=3)
    draft = make.activity(days_ahead=3, publish=False)
    with app.app_context():
        now = utcnow()
        shift = db.session.get(Shift, activity.shifts[0].id)
        assert shift.is_open_for_signup(now)
        assert not shift.is_open_for_signup(shift.starts_at)
        assert not db.session.get(Shift, draft.shifts[0].id).is_open_for_signup(now)
        shift.activity.status = ActivityStatus.CANCELLED
        assert not shift.is_open_for_signup(now)
