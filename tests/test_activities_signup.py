"""Sign-up rules: capacity, waitlist and promotion, duplicates, overlaps, closed activities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus, Shift, Signup, SignupStatus
from app.activities.services import ActivityError, cancel_activity, cancel_signup, sign_up, waitlist_position
from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.notifications.models import Delivery, Message

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def _sign_up(app, shift_id: int, user_id: int) -> tuple[str, int | None]:
    with app.test_request_context():
        signup = sign_up(shift_id, db.session.get(User, user_id))
        db.session.commit()
        return signup.status, waitlist_position(signup)


def test_full_shift_puts_volunteer_on_waitlist_with_position(app, make):
    activity = make.activity(shifts=[(9, 12, 2)])
    shift_id = activity.shifts[0].id
    results = [_sign_up(app, shift_id, make.user().id) for _ in range(4)]
    assert results == [("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]


def test_cancelling_promotes_the_first_on_the_waitlist(app, make):
    activity = make.activity(shifts=[(9, 12, 1)])
    shift_id = activity.shifts[0].id
    first, second, third = make.user(), make.user(), make.user()
    for user in (first, second, third):
        _sign_up(app, shift_id, user.id)
    with app.test_request_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == first.id))
        promoted = cancel_signup(signup, by=db.session.get(User, first.id))
        db.session.commit()
        assert [s.user_id for s in promoted] == [second.id]
        statuses = dict(db.session.execute(select(Signup.user_id, Signup.status)).all())
    assert statuses == {
        first.id: SignupStatus.CANCELLED,
        second.id: SignupStatus.CONFIRMED,
        third.id: SignupStatus.WAITLISTED,
    }


def test_cannot_sign_up_twice(app, make):
    activity = make.activity()
    user = make.user()
    _sign_up(app, activity.shifts[0].id, user.id)
    with pytest.raises(ActivityError) as error:
        _sign_up(app, activity.shifts[0].id, user.id)
    assert error.value.code == "duplicate"


def test_overlapping_shifts_are_refused(app, make):
    morning = make.activity(shifts=[(9, 12, 5)])
    clash = make.activity(shifts=[(11, 13, 5)])
    later = make.activity(shifts=[(12, 14, 5)])
    user = make.user()
    _sign_up(app, morning.shifts[0].id, user.id)
    with pytest.raises(ActivityError) as error:
        _sign_up(app, clash.shifts[0].id, user.id)
    assert error.value.code == "overlap"
    assert _sign_up(app, later.shifts[0].id, user.id)[0] == "confirmed"  # back to back is fine


@pytest.mark.parametrize("case", ["draft", "cancelled", "past"])
def test_closed_activities_refuse_sign_up(app, make, case):
    activity = make.activity(publish=case != "draft", days_ahead=-1 if case == "past" else 7)
    if case == "cancelled":
        with app.test_request_context():
            cancel_activity(db.session.get(Activity, activity.id), "大雨", by=db.session.get(User, make.admin().id))
            db.session.commit()
    with pytest.raises(ActivityError) as error:
        _sign_up(app, activity.shifts[0].id, make.user().id)
    assert error.value.code == {"draft": "not_published", "cancelled": "cancelled", "past": "past"}[case]


def test_sign_up_again_after_cancelling_goes_to_the_end_of_the_line(app, make):
    activity = make.activity(shifts=[(9, 12, 1)])
    shift_id = activity.shifts[0].id
    a, b, c = make.user(), make.user(), make.user()
    for user in (a, b, c):
        _sign_up(app, shift_id, user.id)
    with app.test_request_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == b.id))
        cancel_signup(signup, by=db.session.get(User, b.id))
        db.session.commit()
    assert _sign_up(app, shift_id, b.id) == ("waitlisted", 2)


def test_volunteer_cannot_cancel_after_the_start(app, make):
    activity = make.activity(shifts=[(9, 12, 1)])
    user = make.user()
    _sign_up(app, activity.shifts[0].id, user.id)
    with app.test_request_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        later = signup.shift.starts_at + timedelta(minutes=5)
        with pytest.raises(ActivityError) as error:
            cancel_signup(signup, by=db.session.get(User, user.id), now=later)
    assert error.value.code == "started"


def test_cancelled_activity_flags_every_sign_up(app, make):
    activity = make.activity()
    user = make.user()
    _sign_up(app, activity.shifts[0].id, user.id)
    with app.test_request_context():
        row = db.session.get(Activity, activity.id)
        before = row.sequence
        cancel_activity(row, "山洪预警", by=db.session.get(User, make.admin().id))
        db.session.commit()
        assert row.status == ActivityStatus.CANCELLED and row.sequence == before + 1
        assert db.session.scalar(select(Signup.changed_at).where(Signup.user_id == user.id)) is not None


def test_cancel_needs_a_reason(app, make):
    activity = make.activity()
    with app.test_request_context(), pytest.raises(ActivityError) as error:
        cancel_activity(db.session.get(Activity, activity.id), "  ", by=db.session.get(User, make.admin().id))
    assert error.value.code == "reason_required"


def test_shift_model_overlap_rule():
    now = utcnow()
    a = Shift(starts_at=now, ends_at=now + timedelta(hours=2))
    b = Shift(starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=3))
    assert not a.overlaps(b)
    b.starts_at = now + timedelta(hours=1)
    assert a.overlaps(b)


def test_a_sign_up_request_is_one_transaction_of_a_few_statements(app, make, count_queries):
    """The poster burst's cost, pinned: the session and the account in one statement, the shift with its activity in
    one, the volunteer's own sign-ups (duplicate, overlap) in one before the lock; under it (PostgreSQL: the shift's
    row lock; SQLite: the request's BEGIN IMMEDIATE) one count, then the sign-up, its audit entry, its message and
    the message's SMS. Nothing is read again after the commit. Confirmed and waitlisted cost the same."""
    from tests.conftest import Auth, csrf_token

    activity = make.activity(shifts=[(9, 12, 1)])
    shift_id = activity.shifts[0].id
    counts, places = [], []
    for n in range(2):
        user = make.user(username=f"poster{n}", phone=f"1390000{n:04d}")
        auth = Auth(app.test_client())
        auth.login(user.username)
        token = csrf_token(auth.client, f"/a/{activity.code}")
        with count_queries() as counted:
            response = auth.client.post(f"/a/{activity.code}/signup", data={"shift_id": shift_id, "csrf_token": token})
        assert response.status_code == 302
        counts.append(counted.n)
        with app.app_context():
            signup = db.session.scalar(select(Signup).where(Signup.shift_id == shift_id, Signup.user_id == user.id))
            places.append((signup.status, waitlist_position(signup)))
            sms = db.session.scalars(select(Delivery.address).join(Message).where(Message.recipient_id == user.id))
            assert list(sms) == [user.phone]
        with auth.client.session_transaction() as session:
            (flashed,) = [text for _category, text in session["_flashes"]]
        assert flashed == ("报名成功，活动现场见！" if n == 0 else "该班次已满：您是候补第 1 位。")
    assert places == [("confirmed", None), ("waitlisted", 1)]
    with app.app_context():
        postgres = db.engines[None].dialect.name == "postgresql"
    # The test's outer transaction turns BEGIN and COMMIT into SAVEPOINT and RELEASE: they are counted too.
    # user, shift, own sign-ups, [lock], count, sign-up, audit, message, SMS delivery
    assert counts == [10 + postgres] * 2
