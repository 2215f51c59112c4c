"""Nothing irreversible by accident: every destructive action asks first (GET says what will be lost and changes
nothing; the POST does it), a checked-in sign-up keeps its hours unless the coordinator removes them, closing a
file names its open problems and preselects no reason, and a closed file can be reopened."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from app.activities.services import ActivityError, cancel_signup
from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.childcare.files import close_file, reopen_file
from app.childcare.models import Child, ChildStatus, CloseReason, Problem
from app.childcare.services import ChildError
from app.db_types import utcnow
from app.extensions import db
from tests.conftest import Auth


def _login(app, user) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(user.login_name).status_code == 302
    return auth


def _checked_in(app, make, *, minutes: int = 90) -> tuple[Activity, User, int]:
    """A volunteer checked in at the start of a shift ``minutes`` long that began ``minutes`` ago (no check-out yet:
    the whole shift counts)."""
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    volunteer = make.user(Role.VOLUNTEER)
    _login(app, volunteer).post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == volunteer.id))
        shift = signup.shift
        shift.starts_at = utcnow() - timedelta(minutes=minutes)
        shift.ends_at = utcnow()
        signup.checked_in_at = shift.starts_at
        db.session.commit()
        return activity, volunteer, signup.id


def _signup(app, signup_id: int) -> Signup:
    with app.app_context():
        signup = db.session.get(Signup, signup_id)
        db.session.expunge(signup)
        return signup


def test_a_volunteer_is_asked_before_cancelling_and_the_question_changes_nothing(app, make):
    activity = make.activity("youth-league", days_ahead=5)
    volunteer = make.user(Role.VOLUNTEER)
    auth = _login(app, volunteer)
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup_id = db.session.scalar(select(Signup.id).where(Signup.user_id == volunteer.id))
    mine = auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    assert f'href="/signups/{signup_id}/cancel"' in mine  # a link to the question, not a button that cancels
    page = auth.client.get(f"/signups/{signup_id}/cancel?lang=en").get_data(as_text=True)
    assert "Cancel your sign-up?" in page and "give up your place" in page and activity.title in page
    assert _signup(app, signup_id).status == SignupStatus.CONFIRMED
    assert auth.post(f"/signups/{signup_id}/cancel").status_code == 302
    assert _signup(app, signup_id).status == SignupStatus.CANCELLED


def test_a_volunteer_cannot_cancel_after_checking_in(app, make):
    _activity, volunteer, signup_id = _checked_in(app, make)
    with app.test_request_context():
        signup, user = db.session.get(Signup, signup_id), db.session.get(User, volunteer.id)
        assert not signup.is_cancellable_by_volunteer(utcnow())
        with pytest.raises(ActivityError) as refused:
            cancel_signup(signup, by=user)
        assert refused.value.code == "checked_in"
        db.session.rollback()
    auth = _login(app, volunteer)
    page = auth.client.get(f"/signups/{signup_id}/cancel?lang=en").get_data(as_text=True)
    assert "your 1.5 hours are kept" in page and f'action="/signups/{signup_id}/cancel"' not in page
    auth.post(f"/signups/{signup_id}/cancel")
    kept = _signup(app, signup_id)
    assert kept.status == SignupStatus.CONFIRMED and kept.minutes == 90


def test_the_coordinator_keeps_a_checked_in_volunteers_hours_unless_removing_them(app, make):
    activity, _volunteer, signup_id = _checked_in(app, make)
    auth = _login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    screen = auth.client.get(f"/manage/shifts/{activity.shifts[0].id}/checkin?lang=en").get_data(as_text=True)
    assert f'href="/manage/signups/{signup_id}/cancel"' in screen
    page = auth.client.get(f"/manage/signups/{signup_id}/cancel?lang=en").get_data(as_text=True)
    assert "Remove them and their 1.5 hours" in page and "Check them out now and keep their hours" in page
    assert "their attendance and 1.5 hours are kept" in page
    # Taking them off without saying so is refused: the attendance stays.
    auth.post(f"/manage/signups/{signup_id}/cancel")
    assert _signup(app, signup_id).status == SignupStatus.CONFIRMED and _signup(app, signup_id).minutes == 90
    auth.post(f"/manage/signups/{signup_id}/cancel", {"remove_attendance": "1"})
    removed = _signup(app, signup_id)
    assert removed.status == SignupStatus.CANCELLED and removed.minutes == 0
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "signup.cancelled"))
        assert entry.detail["removed_minutes"] == 90


def test_the_coordinators_keep_choice_checks_the_volunteer_out(app, make):
    _activity, _volunteer, signup_id = _checked_in(app, make)
    auth = _login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    auth.post(f"/manage/signups/{signup_id}/checkout")
    kept = _signup(app, signup_id)
    assert kept.status == SignupStatus.CONFIRMED and kept.checked_out_at is not None and kept.minutes == 90


def test_cancelling_an_activity_asks_first_with_what_it_reaches(app, make):
    activity = make.activity("youth-league", days_ahead=5)
    volunteer = make.user(Role.VOLUNTEER)
    _login(app, volunteer).post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    auth = _login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    page = auth.client.get(f"/manage/activities/{activity.id}?lang=en").get_data(as_text=True)
    assert f'href="/manage/activities/{activity.id}/cancel"' in page
    asked = auth.client.get(f"/manage/activities/{activity.id}/cancel?lang=en").get_data(as_text=True)
    assert "all its shifts (1)" in asked and "signed up (1) will be told" in asked and 'name="reason"' in asked
    blank = auth.post(f"/manage/activities/{activity.id}/cancel?lang=en", {"reason": ""})
    assert blank.status_code == 422 and "Please give a reason" in blank.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id).status == ActivityStatus.PUBLISHED


def _director_and_child(app, make, *, birth: date | None = None):
    village = make.village("shuangshipu")
    child = make.child(village.id, birth=birth or date.today() - timedelta(days=366 * 6))
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    return _login(app, director), child, director


def test_closing_a_file_names_its_open_problems_and_preselects_nothing(app, make):
    auth, child, director = _director_and_child(app, make)
    with app.app_context():
        problem = Problem(child_id=child.id, found_on=date(2026, 1, 5), description="冬衣不足", author_id=director.id)
        db.session.add(problem)
        db.session.commit()
    show = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert f'href="/children/{child.id}/close"' in show and "<select" not in show.split("Close the file")[-1]
    page = auth.client.get(f"/children/{child.id}/close?lang=en").get_data(as_text=True)
    assert "1 problem is still open" in page and "冬衣不足" in page
    assert "selected" not in page and 'value="turned_18"' not in page  # a six-year-old has not turned 18
    unchosen = auth.post(f"/children/{child.id}/close?lang=en", {"reason": ""})
    assert unchosen.status_code == 422 and "Please choose why the file closes" in unchosen.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Child, child.id).status == ChildStatus.ACTIVE


def test_an_adults_file_may_close_as_turned_18(app, make):
    auth, child, _director = _director_and_child(app, make, birth=date.today() - timedelta(days=366 * 18 + 5))
    assert 'value="turned_18"' in auth.client.get(f"/children/{child.id}/close").get_data(as_text=True)


def test_reopen_file_puts_a_closed_file_back_and_is_audited(app, make):
    child_id = make.child(make.village().id).id
    admin_id = make.admin().id
    with app.test_request_context():
        child, admin = db.session.get(Child, child_id), db.session.get(User, admin_id)
        with pytest.raises(ChildError) as refused:
            reopen_file(child, by=admin)
        assert refused.value.code == "not_closed"
        close_file(child, CloseReason.MOVED_AWAY, by=admin)
        reopen_file(child, by=admin)
        assert (child.status, child.close_reason, child.closed_at) == (ChildStatus.ACTIVE, None, None)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.reopened"))
        assert entry.detail["changes"]["close_reason"] == ["moved_away", None]
        db.session.rollback()


def test_the_childs_director_reopens_a_closed_file_and_others_cannot(app, make):
    auth, child, _director = _director_and_child(app, make)
    assert auth.post(f"/children/{child.id}/close", {"reason": "moved_away"}).status_code == 302
    page = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert f'action="/children/{child.id}/reopen"' in page
    stranger = _login(app, make.user(Role.CHILD_DIRECTOR, villages=[make.village("hekou").id]))
    assert stranger.post(f"/children/{child.id}/reopen").status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Child, child.id).status == ChildStatus.CLOSED
    assert auth.post(f"/children/{child.id}/reopen").status_code == 302
    with app.app_context():
        assert db.session.get(Child, child.id).status == ChildStatus.ACTIVE
    history = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "Reopened" in history
    again = auth.post(f"/children/{child.id}/reopen?lang=en", follow_redirects=True)
    assert "This file is open." in again.get_data(as_text=True)


def test_changing_the_calendar_address_asks_first(app, make):
    volunteer = make.user(Role.VOLUNTEER)
    auth = _login(app, volunteer)
    auth.post("/me/calendar/reset")
    with app.app_context():
        token = db.session.get(User, volunteer.id).calendar_token
    page = auth.client.get("/me/calendar/reset?lang=en").get_data(as_text=True)
    assert "The old address stops working" in page
    with app.app_context():
        assert db.session.get(User, volunteer.id).calendar_token == token


def test_deleting_an_account_keeps_a_sign_up_already_checked_in(app, make):
    from app.accounts.services import delete_volunteer_account

    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    volunteer = make.user(Role.VOLUNTEER)
    _login(app, volunteer).post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.test_request_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == volunteer.id))
        signup.shift.starts_at = utcnow() + timedelta(minutes=30)  # checked in before the start
        signup.shift.ends_at = signup.shift.starts_at + timedelta(hours=2)
        signup.checked_in_at = utcnow()
        db.session.flush()
        delete_volunteer_account(db.session.get(User, volunteer.id), by=db.session.get(User, volunteer.id))
        assert signup.status == SignupStatus.CONFIRMED and signup.minutes == 120
        db.session.rollback()
