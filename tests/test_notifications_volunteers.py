"""The volunteers' messages: reminders with one-tap answers, a changed or cancelled activity, a coordinator's
message; each created once, to the right people only, in the recipient's language."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import select

from app.activities.models import Activity, Shift, Signup, SignupStatus
from app.activities.services import ActivityData, ShiftData, cancel_activity, sign_up, update_activity
from app.auth.models import Role, User
from app.extensions import db
from app.notifications.broadcasts import BroadcastError, clean_body
from app.notifications.kinds import rendered_for
from app.notifications.links import CANCEL, COME, LinkError, answer_path, read_answer
from app.notifications.models import Broadcast, Message
from app.notifications.schedule import scan_reminders
from tests.conftest import Auth

PHONES = iter(f"1390000{n:04d}" for n in range(1000, 9999))


def _messages(app, kind: str) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _volunteer(make, **values) -> User:
    return make.user(phone=next(PHONES), username=None, **values)


def _sign_up(app, activity, *users, shift_index: int = 0) -> list[int]:
    with app.test_request_context():
        ids = [sign_up(activity.shifts[shift_index].id, db.session.get(User, u.id)).id for u in users]
        db.session.commit()
        return ids


def _shift_start(app, activity) -> object:
    with app.app_context():
        return db.session.get(Shift, activity.shifts[0].id).starts_at


def test_the_day_before_and_two_hours_before_confirmed_volunteers_are_reminded_once(app, make):
    english, chinese, waiting = _volunteer(make, locale="en"), _volunteer(make, locale="zh_Hans_CN"), _volunteer(make)
    activity = make.activity(shifts=[(9, 12, 2)], days_ahead=3)
    _sign_up(app, activity, english, chinese, waiting)
    starts = _shift_start(app, activity)
    with app.test_request_context():
        for now in (starts - timedelta(hours=24), starts - timedelta(hours=23, minutes=55)):
            scan_reminders(now)
            db.session.commit()
        assert scan_reminders(starts - timedelta(hours=30)) == 0  # too early for either
    day_before = _messages(app, "shift_reminder")
    assert sorted(m.recipient_id for m in day_before) == sorted([english.id, chinese.id])  # not the waitlisted
    assert {m.occasion for m in day_before} == {"day_before"}
    with app.test_request_context():
        scan_reminders(starts - timedelta(hours=1))
        scan_reminders(starts - timedelta(hours=1))
        db.session.commit()
        reminders = db.session.scalars(select(Message).where(Message.kind == "shift_reminder")).all()
        assert len(reminders) == 4 and not any(m.is_urgent for m in reminders)
        texts = {(m.recipient_id, m.occasion): rendered_for(m) for m in reminders}
    assert "Reminder" in texts[(english.id, "day_before")].text and "/r/" in texts[(english.id, "day_before")].text
    assert "提醒" in texts[(chinese.id, "two_hours")].text


def _links(app, signup_id: int) -> tuple[str, str]:
    with app.test_request_context():
        signup = db.session.get(Signup, signup_id)
        return answer_path(signup, COME), answer_path(signup, CANCEL)


def _form_post(client, path: str):
    page = client.get(path)
    assert page.status_code == 200
    from tests.conftest import CSRF_RE

    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token})


class Tomorrow(NamedTuple):
    volunteer: User
    activity: Activity
    signup_id: int
    come: str  # the sign-up's one-tap "I'll come" link


@pytest.fixture
def tomorrow(app, make) -> Tomorrow:
    """A volunteer confirmed for a shift tomorrow, with the one-tap link of their sign-up."""
    volunteer = _volunteer(make)
    activity = make.activity(shifts=[(9, 12, 2)], days_ahead=1)
    (signup_id,) = _sign_up(app, activity, volunteer)
    come, _cancel = _links(app, signup_id)
    return Tomorrow(volunteer, activity, signup_id, come)


def test_ill_come_opens_a_page_that_changes_nothing_and_its_button_notes_the_answer_once(app, make, client, tomorrow):
    volunteer, activity, signup_id, come = tomorrow
    page = client.get(come)
    assert page.status_code == 200 and activity.title in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Signup, signup_id).coming_confirmed_at is None  # GET changed nothing
    assert client.post(come, data={}).status_code == 400  # no CSRF token: nothing done
    with app.app_context():
        assert db.session.get(Signup, signup_id).coming_confirmed_at is None
    done = _form_post(client, come)
    assert done.status_code == 200
    with app.app_context():
        assert db.session.get(Signup, signup_id).coming_confirmed_at is not None
    again = client.get(come)
    assert again.status_code == 410 and "已使用过" in again.get_data(as_text=True)
    auth = Auth(client)
    auth.login(volunteer.phone)
    assert "You said you will come" in client.get("/me/activities?lang=en").get_data(as_text=True)
    auth.logout()
    _coordinator(app, make, client)
    roster = client.get(f"/manage/activities/{activity.id}?lang=en").get_data(as_text=True)
    assert "said they will come" in roster


def test_i_cant_come_cancels_and_the_next_on_the_waitlist_moves_up_and_is_told(app, make, client):
    first, second = _volunteer(make), _volunteer(make)
    activity = make.activity(shifts=[(9, 12, 1)], days_ahead=1)
    first_id, second_id = _sign_up(app, activity, first, second)
    come, cancel = _links(app, first_id)
    assert _form_post(client, cancel).status_code == 200
    with app.app_context():
        assert db.session.get(Signup, first_id).status == SignupStatus.CANCELLED
        assert db.session.get(Signup, second_id).status == SignupStatus.CONFIRMED
    assert [m.recipient_id for m in _messages(app, "signup_promoted")] == [second.id]
    refused = client.get(come)
    assert refused.status_code == 410 and "报名已取消" in refused.get_data(as_text=True)


def test_tampered_expired_and_foreign_links_get_a_clear_page_never_a_500(app, client, tomorrow):
    activity, signup_id, come = tomorrow.activity, tomorrow.signup_id, tomorrow.come
    tampered = come[:-3] + ("abc" if not come.endswith("abc") else "xyz")
    for path in (tampered, "/r/nonsense", "/r/" + "x" * 500):
        response = client.get(path)
        assert response.status_code == 400 and "链接无效" in response.get_data(as_text=True)
    starts = _shift_start(app, activity)
    with app.app_context():
        try:
            read_answer(come.removeprefix("/r/"), now=starts)
        except LinkError as error:
            assert (error.code, error.status) == ("expired", 410)
        else:
            raise AssertionError("a link worked after its shift started")
    with app.test_request_context():  # signed with another secret: refused
        app.config["SECRET_KEY"], saved = "another-secret-key-for-this-test", app.config["SECRET_KEY"]
        try:
            foreign = answer_path(db.session.get(Signup, signup_id), COME)
        finally:
            app.config["SECRET_KEY"] = saved
    assert client.get(foreign).status_code == 400


def _data(activity: Activity, shift_move: timedelta) -> ActivityData:
    return ActivityData(
        title=activity.title,
        kind=activity.kind,
        organization=activity.organization,
        venue=activity.venue,
        town_id=activity.town_id,
        shifts=[
            ShiftData(s.starts_at + shift_move, s.ends_at + shift_move, s.capacity, id=s.id) for s in activity.shifts
        ],
    )


def test_a_changed_time_tells_every_live_volunteer_once_per_change(app, make):
    stays, leaves = _volunteer(make, locale="en"), _volunteer(make)
    bystander = _volunteer(make)
    activity = make.activity(shifts=[(9, 12, 5), (14, 16, 5)], days_ahead=3)
    other = make.activity(shifts=[(9, 12, 5)], days_ahead=4)
    _sign_up(app, activity, stays, leaves)
    _sign_up(app, activity, stays, shift_index=1)
    _sign_up(app, other, bystander)
    with app.test_request_context():
        from app.activities.services import cancel_signup

        signup = db.session.scalar(select(Signup).where(Signup.user_id == leaves.id))
        cancel_signup(signup, by=db.session.get(User, leaves.id))
        admin = db.session.get(User, make.admin().id)
        loaded = db.session.get(Activity, activity.id)
        update_activity(loaded, _data(loaded, timedelta(hours=1)), by=admin)
        update_activity(loaded, _data(loaded, timedelta(0)), by=admin)  # nothing changed: nobody told
        db.session.commit()
        (message,) = db.session.scalars(select(Message).where(Message.kind == "activity_changed")).all()
        assert message.recipient_id == stays.id and message.object_type == "activities"
        assert "has changed" in rendered_for(message).text


def test_a_cancellation_tells_volunteers_with_its_reason_urgently_only_on_the_day(app, make):
    volunteer, chinese = _volunteer(make, locale="en"), _volunteer(make, locale="zh_Hans_CN")
    later, today = make.activity(days_ahead=3), make.activity(days_ahead=4)
    _sign_up(app, later, volunteer, chinese)
    _sign_up(app, today, volunteer)
    today_start = _shift_start(app, today)
    with app.test_request_context():
        admin = db.session.get(User, make.admin().id)
        cancel_activity(db.session.get(Activity, later.id), "大雨停课", by=admin)
        cancel_activity(db.session.get(Activity, today.id), "大雨停课", by=admin, now=today_start - timedelta(hours=2))
        db.session.commit()
        messages = db.session.scalars(select(Message).where(Message.kind == "activity_cancelled")).all()
        urgent = {(m.object_id, m.recipient_id): m.is_urgent for m in messages}
        expected = {(later.id, volunteer.id): False, (later.id, chinese.id): False, (today.id, volunteer.id): True}
        assert urgent == expected
        texts = {m.recipient_id: rendered_for(m).text for m in messages if m.object_id == later.id}
    assert "has been cancelled: 大雨停课" in texts[volunteer.id]
    assert "已取消" in texts[chinese.id] and "大雨停课" in texts[chinese.id]


def _coordinator(app, make, client) -> User:
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    Auth(client).login(coordinator.username)
    return coordinator


def test_a_coordinator_previews_a_message_with_its_reach_then_sends_it_to_the_shift(app, make, client):
    first, second, elsewhere = _volunteer(make, locale="en"), _volunteer(make), _volunteer(make)
    activity = make.activity(shifts=[(9, 12, 5), (14, 16, 5)], days_ahead=3)
    _sign_up(app, activity, first, second)
    _sign_up(app, activity, elsewhere, shift_index=1)
    _coordinator(app, make, client)
    auth = Auth(client)
    path = f"/manage/activities/{activity.id}/message"
    assert client.get(path).status_code == 200
    shift_id = str(activity.shifts[0].id)
    preview = auth.post(path + "?lang=en", {"target": shift_id, "body": "请带水杯", "preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "请带水杯" in page and "It will go to 2 volunteers" in page
    assert _messages(app, "broadcast") == []  # a preview sends nothing
    sent = auth.post(path, {"target": shift_id, "body": "请带水杯", "send": "1"})
    assert sent.status_code == 302
    messages = _messages(app, "broadcast")
    assert sorted(m.recipient_id for m in messages) == sorted([first.id, second.id])
    with app.app_context():
        (broadcast,) = db.session.scalars(select(Broadcast)).all()
        assert broadcast.recipient_count == 2 and messages[0].object_id == broadcast.id
        message = db.session.get(Message, next(m.id for m in messages if m.recipient_id == first.id))
        assert "请带水杯" in rendered_for(message).text and "About" in rendered_for(message).text
    whole = auth.post(path, {"target": "all", "body": "谢谢大家", "send": "1"})
    assert whole.status_code == 302 and len(_messages(app, "broadcast")) == 5


def test_a_message_with_control_characters_or_too_long_is_refused_with_a_reason(app, make, client):
    volunteer = _volunteer(make)
    activity = make.activity(days_ahead=3)
    _sign_up(app, activity, volunteer)
    _coordinator(app, make, client)
    auth = Auth(client)
    path = f"/manage/activities/{activity.id}/message?lang=en"
    refused = auth.post(path, {"target": "all", "body": "长" * 501, "send": "1"})
    assert refused.status_code == 422 and "500" in refused.get_data(as_text=True)
    assert auth.post(path, {"target": "all", "body": "hello\x07", "send": "1"}).status_code == 400  # the app's guard
    with app.test_request_context("/?lang=en"):  # and the service's own, for every other caller
        try:
            clean_body("hello\x1b[2J")
        except BroadcastError as error:
            assert error.code == "control" and error.field == "body"
        else:
            raise AssertionError("control characters were accepted")
        assert clean_body("  第一行\r\n第二行 ") == "第一行\n第二行"
    assert auth.post(path, {"target": "999999", "body": "hi", "preview": "1"}).status_code == 422
    assert _messages(app, "broadcast") == []


def test_a_coordinator_sends_at_most_five_messages_an_hour_and_is_told_when_again(app, make, client):
    volunteer = _volunteer(make)
    activity = make.activity(days_ahead=3)
    _sign_up(app, activity, volunteer)
    _coordinator(app, make, client)
    auth = Auth(client)
    path = f"/manage/activities/{activity.id}/message?lang=en"
    for n in range(5):
        assert auth.post(path, {"target": "all", "body": f"消息{n}", "send": "1"}).status_code == 302
    refused = auth.post(path, {"target": "all", "body": "第六条", "send": "1"})
    assert refused.status_code == 422 and "You can send again at" in refused.get_data(as_text=True)
    assert len(_messages(app, "broadcast")) == 5
