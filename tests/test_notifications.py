"""Messages: created once per (kind, object, recipient, occasion), in the inbox always, by SMS and e-mail as the
recipient chose, sent once by whichever worker claims them, rendered in the recipient's language; quiet hours, the
daily cap, the administrator's page of failures and resending; periodic jobs once per time slot."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from app.activities.models import Signup
from app.activities.services import sign_up
from app.auth.models import Role, User
from app.db_types import utcnow
from app.extensions import db
from app.jobs import claim_run, huey, run_queued_jobs
from app.notifications.models import Delivery, DeliveryStatus, Message
from app.notifications.services import claim_delivery, notify, quiet_until, resend_delivery, send_delivery
from app.notifications.tasks import deliver_now
from app.timeutils import local_to_utc, to_local
from tests.conftest import Auth

# 10:00 Beijing time tomorrow: outside the quiet hours, and after every delivery the test makes is due.
DAYTIME = local_to_utc(to_local(utcnow()).date() + timedelta(days=1), time(10, 0))


def _messages(app, user_id: int) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(Message.recipient_id == user_id).order_by(Message.id)))


def _deliveries(app, user_id: int) -> list[Delivery]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Delivery).join(Message).where(Message.recipient_id == user_id).order_by(Delivery.id)
            )
        )


def _signed_up(app, make, *, locale=None, capacity=5, **user_values) -> tuple[User, Signup]:
    user = make.user(phone=user_values.pop("phone", "13900000011"), username=None, locale=locale, **user_values)
    activity = make.activity(shifts=[(9, 12, capacity)], days_ahead=3)
    with app.test_request_context():
        signup = sign_up(activity.shifts[0].id, db.session.get(User, user.id))
        db.session.commit()
        return user, signup


def test_a_sign_up_is_confirmed_in_the_inbox_and_by_sms_once_the_queued_job_runs(app, make):
    user, _signup = _signed_up(app, make)
    (message,) = _messages(app, user.id)
    assert message.kind == "signup_confirmed"
    (delivery,) = _deliveries(app, user.id)
    assert (delivery.channel, delivery.address, delivery.status) == ("sms", "13900000011", DeliveryStatus.PENDING)
    assert huey.pending_count() == 1  # queued after the commit
    with app.app_context():
        run_queued_jobs()
    (delivery,) = _deliveries(app, user.id)
    # The development outbox: nothing left the machine, the text is kept (in the recipient's language: Chinese).
    assert delivery.status in (DeliveryStatus.SENT, DeliveryStatus.PENDING)  # PENDING: held by the quiet hours
    if delivery.status == DeliveryStatus.SENT:
        assert delivery.provider == "dev" and "报名" in delivery.body and "/calendar.ics" in delivery.body


def test_a_refused_sign_up_creates_no_message_and_queues_nothing(app, make, auth):
    user = make.user(phone="13900000012", username=None)
    activity = make.activity(shifts=[(9, 12, 5)], days_ahead=3, publish=False)
    auth.login("13900000012")
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert _messages(app, user.id) == []
    assert huey.pending_count() == 0


def test_the_same_message_is_created_once_however_often_it_is_asked_for(app, make):
    user = make.user(phone="13900000013", username=None)
    with app.test_request_context():
        recipient = db.session.get(User, user.id)
        first = notify("delivery_failed", recipient, occasion="2026-12-04", params={})
        again = notify("delivery_failed", recipient, occasion="2026-12-04", params={})
        other_day = notify("delivery_failed", recipient, occasion="2026-12-05", params={})
        db.session.commit()
        assert first is not None and again is None and other_day is not None
    assert len(_messages(app, user.id)) == 2


def _pending_sms(app, make, **user_values) -> int:
    user, _signup = _signed_up(app, make, **user_values)
    return _deliveries(app, user.id)[0].id


def test_a_delivery_is_claimed_by_one_worker_only(app, make):
    delivery_id = _pending_sms(app, make)
    with app.app_context():
        first = claim_delivery(delivery_id, DAYTIME)
        db.session.commit()
    with app.app_context():  # a second worker, after the first took it
        second = claim_delivery(delivery_id, DAYTIME)
    assert first is not None and second is None


def test_a_delivery_runs_twice_but_is_sent_once(app, make):
    delivery_id = _pending_sms(app, make)
    with app.app_context():
        first = deliver_now(delivery_id, DAYTIME)
        second = deliver_now(delivery_id, DAYTIME)
        delivery = db.session.get(Delivery, delivery_id)
        assert (first, second) == ("sent", None)
        assert delivery.attempts == 1 and delivery.status == DeliveryStatus.SENT


def test_sms_waits_for_the_end_of_the_quiet_hours_unless_urgent(app, make):
    with app.app_context():  # 22:30 and 07:00 in Beijing wait until 08:00
        assert quiet_until(datetime(2026, 12, 4, 14, 30, tzinfo=UTC)) == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
        assert quiet_until(datetime(2026, 12, 4, 23, 0, tzinfo=UTC)) == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
        assert quiet_until(DAYTIME) is None
        app.config["QUIET_HOURS"] = (1, 6)  # a span within one day: 03:00 waits until 06:00, 07:00 goes
        assert quiet_until(datetime(2026, 12, 4, 19, 0, tzinfo=UTC)) == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
        assert quiet_until(datetime(2026, 12, 4, 23, 0, tzinfo=UTC)) is None
        app.config["QUIET_HOURS"] = (0, 0)  # none
        assert quiet_until(datetime(2026, 12, 4, 14, 30, tzinfo=UTC)) is None
        app.config["QUIET_HOURS"] = (21, 8)
    late = DAYTIME + timedelta(hours=12, minutes=30)  # 22:30 in Beijing
    morning = DAYTIME + timedelta(hours=22)  # 08:00 the next day
    delivery_id = _pending_sms(app, make)
    with app.app_context():
        assert deliver_now(delivery_id, late) == "pending"
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery.next_attempt_at == morning and delivery.attempts == 0
        delivery.message.is_urgent = True
        db.session.commit()
        delivery.next_attempt_at = late
        db.session.commit()
        assert deliver_now(delivery_id, late) == "sent"


def test_the_daily_cap_skips_non_urgent_sms_but_the_inbox_keeps_them(app, make):
    app.config["MESSAGE_DAILY_CAP"] = 1
    try:
        user = make.user(phone="13900000014", username=None)
        with app.test_request_context():
            recipient = db.session.get(User, user.id)
            for day in ("a", "b"):
                notify("signup_promoted", recipient, occasion=day, params=_shift_params())
            db.session.commit()
        first, second = _deliveries(app, user.id)
        with app.app_context():
            assert deliver_now(first.id, DAYTIME) == "sent"
            assert deliver_now(second.id, DAYTIME) == "skipped"
            assert db.session.get(Delivery, second.id).last_error == "daily cap reached"
        assert len(_messages(app, user.id)) == 2
    finally:
        app.config["MESSAGE_DAILY_CAP"] = 8


def _shift_params() -> dict:
    start = utcnow() + timedelta(days=2)
    return {
        "title": "暑期托管",
        "code": "abc",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "venue": "村委会",
    }


def test_a_message_is_sent_in_its_recipients_language(app, make):
    chinese = make.user(phone="13900000015", username=None, locale="zh_Hans_CN")
    english = make.user(phone="13900000016", username=None, locale="en")
    with app.test_request_context("/?lang=zh"):  # whoever triggers it reads Chinese
        for user in (chinese, english):
            notify("signup_promoted", db.session.get(User, user.id), occasion="x", params=_shift_params())
        db.session.commit()
    with app.app_context():
        for user in (chinese, english):
            deliver_now(_deliveries(app, user.id)[0].id, DAYTIME)
    assert "名额" in _deliveries(app, chinese.id)[0].body
    assert "A place freed up" in _deliveries(app, english.id)[0].body


def test_an_opted_out_channel_gets_nothing_and_a_later_opt_out_skips_what_waits(app, make):
    quiet = make.user(phone="13900000017", username=None, sms_enabled=False)
    with app.test_request_context():
        notify("signup_promoted", db.session.get(User, quiet.id), occasion="x", params=_shift_params())
        db.session.commit()
    assert len(_messages(app, quiet.id)) == 1 and _deliveries(app, quiet.id) == []
    delivery_id = _pending_sms(app, make, phone="13900000018")
    with app.app_context():
        db.session.scalar(select(User).where(User.phone == "13900000018")).sms_enabled = False
        db.session.commit()
        assert deliver_now(delivery_id, DAYTIME) == "skipped"


def test_an_sms_provider_that_cannot_be_reached_is_retried_with_back_off_then_shown_as_failed(app, make):
    saved = dict(app.config)
    app.config.update(  # nothing listens on port 9 of this machine: an outage
        SMS_BACKEND="tencent",
        TENCENT_SMS_ENDPOINT="http://127.0.0.1:9",
        TENCENT_SMS_TEMPLATES='{"signup_confirmed": "1"}',
        TENCENT_SECRET_ID="AKIDtest",
        TENCENT_SECRET_KEY="secret",
        TENCENT_SMS_APP_ID="1400000000",
        TENCENT_SMS_SIGN_NAME="守护",
    )
    admin = make.admin()
    try:
        delivery_id = _pending_sms(app, make, phone="13900000019")
        now = DAYTIME
        statuses = []
        with app.app_context():
            for _ in range(6):
                statuses.append(deliver_now(delivery_id, now))
                delivery = db.session.get(Delivery, delivery_id)
                now = delivery.next_attempt_at
        assert statuses[:4] == ["pending"] * 4 and statuses[4] == "failed"
        with app.app_context():
            delivery = db.session.get(Delivery, delivery_id)
            assert delivery.attempts == 5 and delivery.last_error
        assert [m.kind for m in _messages(app, admin.id)] == ["delivery_failed"]
    finally:
        app.config.update(saved)


def test_the_administrator_sees_failures_and_sends_one_again(app, make, client):
    admin = make.admin(username="root-admin")
    delivery_id = _pending_sms(app, make, phone="13900000020")
    with app.app_context():
        delivery = db.session.get(Delivery, delivery_id)
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, "InvalidParameterValue.IncorrectPhoneNumber"
        db.session.commit()
    auth = Auth(client)
    auth.login("root-admin")
    page = client.get("/admin/messages?status=failed").get_data(as_text=True)
    assert "IncorrectPhoneNumber" in page and "13900000020" in page
    response = auth.post(f"/admin/messages/{delivery_id}/resend")
    assert response.status_code == 302
    with app.app_context():
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery.status == DeliveryStatus.PENDING and delivery.message.is_urgent
        run_queued_jobs()
        db.session.expire_all()
        assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.SENT
    assert admin.id


def test_only_a_failed_or_skipped_delivery_can_be_sent_again(app, make):
    delivery_id = _pending_sms(app, make, phone="13900000021")
    with app.test_request_context():
        from app.domain import DomainError

        delivery = db.session.get(Delivery, delivery_id)
        try:
            resend_delivery(delivery, by=db.session.get(User, make.admin().id))
        except DomainError as error:
            assert error.code == "not_failed"
        else:
            raise AssertionError("a pending delivery was resent")


def test_the_development_outbox_shows_what_would_have_been_sent(app, make, client):
    make.admin(username="outbox-admin")
    user, _signup = _signed_up(app, make, phone="13900000022")
    with app.app_context():
        deliver_now(_deliveries(app, user.id)[0].id, DAYTIME)
    auth = Auth(client)
    auth.login("outbox-admin")
    page = client.get("/admin/messages?view=outbox").get_data(as_text=True)
    assert "13900000022" in page and "报名" in page


def test_the_inbox_counts_unread_messages_in_the_header_and_marks_what_it_showed(app, make, client):
    _user, _signup = _signed_up(app, make, phone="13900000023")
    auth = Auth(client)
    auth.login("13900000023")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'class="count"[^>]*>1<', home)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "报名" in inbox and "新" in inbox
    assert 'class="count"' not in client.get("/").get_data(as_text=True)
    again = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "You are signed up" in again  # rendered in the reader's language of the moment


def test_a_person_chooses_email_and_sms(app, make, client):
    user = make.user(phone="13900000024", username=None)
    auth = Auth(client)
    auth.login("13900000024")
    refused = auth.post("/settings/messages", {"sms": "y", "email_enabled": "y", "email": ""})
    assert refused.status_code == 422
    saved = auth.post("/settings/messages", {"email_enabled": "y", "email": "li@example.cn"})
    assert saved.status_code == 302
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert (stored.sms_enabled, stored.email_enabled, stored.email) == (False, True, "li@example.cn")
        notify("signup_promoted", stored, occasion="x", params=_shift_params())
        db.session.commit()
    assert [(d.channel, d.address) for d in _deliveries(app, user.id)] == [("email", "li@example.cn")]


def test_a_periodic_job_runs_once_per_time_slot_however_many_workers_schedule_it(app):
    results = []
    for _worker in range(3):
        with app.app_context():
            results.append(claim_run("send_due_messages", "2026-12-04T10:05"))
            db.session.commit()
    assert results == [True, False, False]
    with app.app_context():
        assert claim_run("send_due_messages", "2026-12-04T10:06")


def test_deleted_and_deactivated_accounts_get_no_messages(app, make):
    gone = make.user(Role.VOLUNTEER, phone="13900000025", username=None, is_active=False)
    with app.test_request_context():
        assert notify("signup_promoted", db.session.get(User, gone.id), occasion="x", params=_shift_params()) is None
        assert db.session.scalar(select(func.count(Message.id))) == 0


def test_send_delivery_keeps_the_text_it_sent(app, make):
    delivery_id = _pending_sms(app, make, phone="13900000026")
    with app.app_context():
        delivery = claim_delivery(delivery_id, DAYTIME)
        assert send_delivery(delivery, DAYTIME) == DeliveryStatus.SENT
        assert delivery.body.startswith("您已报名")


def test_the_development_outbox_shows_waiting_messages_and_the_codes_sent(app, make, client):
    from app.notifications.channels import DEV_SENT, Outgoing

    make.admin(username="outbox-admin-2")
    _signed_up(app, make, phone="13900000027")
    app.config["SHOW_DEV_CODES"] = True
    DEV_SENT.append(Outgoing(address="13900000028", subject="", body="", template="sign_in_code", params=["428913"]))
    try:
        auth = Auth(client)
        auth.login("outbox-admin-2")
        page = client.get("/admin/messages?view=outbox").get_data(as_text=True)
    finally:
        app.config["SHOW_DEV_CODES"] = False
    assert "13900000027" in page and "您已报名" in page  # waiting (not yet sent), shown as it will read
    assert "13900000028" in page and "428913" in page


def test_jobs_are_queued_when_the_whole_transaction_commits_not_when_a_savepoint_is_released(app, make):
    """Each message is created inside a SAVEPOINT (its unique key may be taken by another worker): releasing it must
    not queue the deliveries of the messages before it, which the transaction has not committed yet."""
    users = [make.user(phone=f"139000001{i:02d}", username=None) for i in range(3)]
    with app.test_request_context():
        for user in users:
            notify("signup_promoted", db.session.get(User, user.id), occasion="x", params=_shift_params())
            assert huey.pending_count() == 0
        db.session.commit()
    assert huey.pending_count() == 3
