"""SMS codes: six digits kept only as a digest, five minutes, once, five tries; limits per number and per address;
the same answer for registered and unknown numbers; a provider outage said plainly. And volunteers signing in (or
registering) with a code instead of a password."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.auth.codes import CodeCheck, CodeError, check_code, send_code
from app.auth.models import Role, User
from app.db_types import utcnow
from app.extensions import db
from app.notifications.models import CodePurpose, SmsCode
from tests.codes import ask_for_code, last_code, post_form, sent_codes
from tests.conftest import Auth

NEW_NUMBER = "13912340000"


def _codes_for(app, phone: str) -> list[SmsCode]:
    with app.app_context():
        return list(db.session.scalars(select(SmsCode).where(SmsCode.phone == phone).order_by(SmsCode.id)))


def test_a_code_is_six_digits_kept_only_as_a_digest(app, client):
    response = ask_for_code(client, "/login/code?lang=en", NEW_NUMBER)
    assert response.status_code == 200
    assert "We have sent a 6-digit code" in response.get_data(as_text=True)
    code = last_code(NEW_NUMBER)
    assert re.fullmatch(r"\d{6}", code)
    [row] = _codes_for(app, NEW_NUMBER)
    assert row.purpose == CodePurpose.LOGIN and code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5) and row.ip_address == "127.0.0.1"


def test_a_right_code_works_once(app):
    with app.test_request_context():
        send_code(NEW_NUMBER, CodePurpose.RESET, "10.0.0.1")  # nothing sent: the number has no account
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=utcnow() + timedelta(seconds=61))
        code = last_code(NEW_NUMBER)
        assert check_code(NEW_NUMBER, CodePurpose.RESET, code) == CodeCheck.WRONG  # bound to its purpose
        assert check_code(NEW_NUMBER, CodePurpose.LOGIN, code) == CodeCheck.OK
        assert check_code(NEW_NUMBER, CodePurpose.LOGIN, code) == CodeCheck.EXPIRED
        db.session.rollback()


def test_an_expired_code_is_refused(app):
    with app.test_request_context():
        sent_at = utcnow() - timedelta(minutes=6)
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=sent_at)
        code = last_code(NEW_NUMBER)
        assert check_code(NEW_NUMBER, CodePurpose.LOGIN, code, now=sent_at + timedelta(minutes=4)) == CodeCheck.OK
        db.session.rollback()
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=sent_at)
        assert check_code(NEW_NUMBER, CodePurpose.LOGIN, last_code(NEW_NUMBER)) == CodeCheck.EXPIRED
        db.session.rollback()


def test_a_new_code_replaces_the_older_one(app):
    with app.test_request_context():
        first_at = utcnow() - timedelta(minutes=2)
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=first_at)
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=first_at + timedelta(seconds=90))
        old, new = sent_codes(NEW_NUMBER)[-2:]
        if old != new:  # one chance in a million that they are the same
            assert check_code(NEW_NUMBER, CodePurpose.LOGIN, old) == CodeCheck.WRONG
        assert check_code(NEW_NUMBER, CodePurpose.LOGIN, new) == CodeCheck.OK
        db.session.rollback()


def test_five_wrong_tries_kill_the_code_and_each_try_counts(app, client):
    ask_for_code(client, "/login/code", NEW_NUMBER)
    code = last_code(NEW_NUMBER)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in range(1, 6):
        response = post_form(client, "/login/code?lang=en", {"phone": NEW_NUMBER, "code": wrong, "code_sent": "1"})
        assert response.status_code == 422
        assert _codes_for(app, NEW_NUMBER)[0].attempts == attempt  # committed although the page refused
    assert "Too many wrong tries" in response.get_data(as_text=True)
    response = post_form(
        client, "/login/code?lang=en", {"phone": NEW_NUMBER, "code": code, "name": "新人", "consent": "y"}
    )
    assert response.status_code == 422 and "Too many wrong tries" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == NEW_NUMBER)) is None


def test_one_code_a_minute_five_an_hour_ten_a_day_per_number(app):
    start = utcnow() - timedelta(hours=30)
    with app.test_request_context():
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.1", now=start)
        with pytest.raises(CodeError) as refused:
            send_code(NEW_NUMBER, CodePurpose.JOIN, "10.0.0.2", now=start + timedelta(seconds=30))
        assert refused.value.code == "number_wait" and "30" in refused.value.message  # seconds to wait
        for minute in range(2, 6):
            send_code(NEW_NUMBER, CodePurpose.LOGIN, f"10.0.1.{minute}", now=start + timedelta(minutes=minute))
        with pytest.raises(CodeError) as refused:
            send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.3", now=start + timedelta(minutes=30))
        assert refused.value.code == "number_limit"
        for hour in (2, 3, 4, 5, 6):
            send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.4", now=start + timedelta(hours=hour))
        with pytest.raises(CodeError) as refused:  # the eleventh in 24 hours
            send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.5", now=start + timedelta(hours=8))
        assert refused.value.code == "number_limit"
        send_code(NEW_NUMBER, CodePurpose.LOGIN, "10.0.0.5", now=start + timedelta(hours=24, minutes=1))
        db.session.rollback()


def test_codes_per_address_are_limited_for_the_hour(app, client):
    [(seconds, allowed)] = app.config["SMS_CODE_LIMITS_PER_ADDRESS"]
    assert seconds == 3600
    shared = {"environ_base": {"REMOTE_ADDR": "10.9.9.9"}}
    for n in range(allowed):
        assert ask_for_code(client, "/login/code", f"1391234{n:04d}", **shared).status_code == 200
    response = ask_for_code(client, "/login/code?lang=en", "13700000000", **shared)
    assert response.status_code == 422 and "from this network" in response.get_data(as_text=True)
    assert _codes_for(app, "13700000000") == []
    other = ask_for_code(client, "/login/code", "13700000000", environ_base={"REMOTE_ADDR": "10.9.9.10"})
    assert other.status_code == 200, re.findall(r"error[^<]*<[^<]*", other.get_data(as_text=True))


def _same_page(text: str, phone: str) -> str:
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", text)
    text = re.sub(r"\d+ seconds", "N seconds", text)
    return text.replace(phone, "PHONE")


@pytest.mark.parametrize("path", ["/login/code?lang=en", "/password/reset?lang=en"])
def test_registered_and_unknown_numbers_get_the_same_page(app, make, path):
    make.user(Role.VOLUNTEER, username="known", phone="13800138000")
    pages = []
    for phone in ("13800138000", NEW_NUMBER):
        client = app.test_client()
        response = ask_for_code(client, path, phone)
        assert response.status_code == 200
        pages.append(_same_page(response.get_data(as_text=True), phone))
        second = ask_for_code(client, path, phone)  # and the same refusal within the minute
        assert second.status_code == 422
        pages.append(_same_page(second.get_data(as_text=True), phone))
    assert pages[0] == pages[2] and pages[1] == pages[3]
    assert "If an account has this number" in pages[0] or "We have sent" in pages[0]


def test_a_forgotten_password_code_goes_only_to_a_registered_number(app, make, client):
    make.user(Role.TOWN_SUPERVISOR, username="duzhao", phone="13800138000", town="shuangshipu")
    before = len(sent_codes("13800138000")), len(sent_codes(NEW_NUMBER))
    ask_for_code(client, "/password/reset", "13800138000")
    ask_for_code(client, "/password/reset", NEW_NUMBER)
    assert (len(sent_codes("13800138000")), len(sent_codes(NEW_NUMBER))) == (before[0] + 1, before[1])
    assert len(_codes_for(app, NEW_NUMBER)) == 1  # counted all the same


@pytest.mark.parametrize("number", ["+85291234567", "02988887777", "1381234567", "12012345678"])
def test_a_number_that_is_not_a_mainland_mobile_is_told_so(app, client, number):
    response = ask_for_code(client, "/login/code?lang=en", number)
    assert response.status_code == 422
    assert "valid mainland mobile number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(SmsCode.id))) == 0


def test_a_provider_outage_is_said_plainly_and_leaves_no_code(app, client, monkeypatch):
    settings = {
        "SMS_BACKEND": "tencent",
        "TENCENT_SMS_ENDPOINT": "http://127.0.0.1:9",  # nothing listens there
        "TENCENT_SECRET_ID": "AKIDtest",
        "TENCENT_SECRET_KEY": "secret-key-for-tests",
        "TENCENT_SMS_APP_ID": "1400006666",
        "TENCENT_SMS_SIGN_NAME": "守护志愿",
        "TENCENT_SMS_TEMPLATES": json.dumps({"sign_in_code": "100001"}),
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    response = ask_for_code(client, "/login/code?lang=en", NEW_NUMBER)
    assert response.status_code == 422
    assert "could not send the code. Please try again in a minute" in response.get_data(as_text=True)
    assert 'name="code"' not in response.get_data(as_text=True)
    assert _codes_for(app, NEW_NUMBER) == []
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    assert ask_for_code(client, "/login/code", NEW_NUMBER).status_code == 200  # no limit spent on the failure


# --- signing in and registering with a code ---------------------------------------------------------------------


def _sign_in(client, phone: str, path: str = "/login/code", **extra):
    ask_for_code(client, path, phone)
    return post_form(client, path, {"phone": phone, "code": last_code(phone), "code_sent": "1", **extra})


def test_a_new_number_registers_a_volunteer_without_a_password(app, client):
    response = _sign_in(client, NEW_NUMBER, name="  扫码新人 ", consent="y")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == NEW_NUMBER))
        assert user.role == Role.VOLUNTEER and user.name == "扫码新人" and user.password_hash == ""
        assert not user.has_password and user.privacy_consent_at is not None
    assert client.get("/account").status_code == 200
    # No password to guess: the password login refuses the account as it refuses a wrong password.
    refused = Auth(app.test_client()).login(NEW_NUMBER, "anything-1")
    assert refused.status_code == 401


def test_a_new_number_is_asked_for_a_name_and_keeps_its_code(app, client):
    ask_for_code(client, "/login/code", NEW_NUMBER)
    code = last_code(NEW_NUMBER)
    data = {"phone": NEW_NUMBER, "code": code, "code_sent": "1"}
    response = post_form(client, "/login/code?lang=en", data)
    assert response.status_code == 422 and "new to Shouhu: please enter your name" in response.get_data(as_text=True)
    response = post_form(client, "/login/code?lang=en", {**data, "name": "新人"})
    assert response.status_code == 422 and "agree to the privacy notice" in response.get_data(as_text=True)
    assert post_form(client, "/login/code", {**data, "name": "新人", "consent": "y"}).status_code == 302


def test_a_registered_volunteer_signs_in_with_a_code_and_goes_on_to_next(app, make, client):
    user = make.user(Role.VOLUNTEER, username="laozhang", phone="13800138000", name="老张")
    response = _sign_in(client, "13800138000", path="/login/code?next=/me/activities")
    assert response.status_code == 302 and response.headers["Location"] == "/me/activities"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.phone == "13800138000")) == 1
        assert db.session.get(User, user.id).name == "老张"
    make.user(Role.VOLUNTEER, username="laoli", phone="13800138001")
    away = _sign_in(app.test_client(), "13800138001", path="/login/code?next=//evil.example")
    assert away.headers["Location"] == "/"


def test_a_staff_account_is_not_opened_by_a_code(app, make, client):
    make.user(Role.CHILD_DIRECTOR, username="zhuren", phone="13800138000", villages=[make.village("shuangshipu").id])
    response = _sign_in(client, "13800138000", path="/login/code?lang=en")
    assert response.status_code == 422 and "staff account" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_a_volunteer_without_a_password_can_set_one(app, client):
    _sign_in(client, NEW_NUMBER, name="新人", consent="y")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Set a password" in page
    form = client.get("/account/password?lang=en").get_data(as_text=True)
    assert "current_password" not in form
    response = post_form(client, "/account/password", {"new_password": "river-stone-77", "confirm": "river-stone-77"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == NEW_NUMBER)).has_password
    assert Auth(app.test_client()).login(NEW_NUMBER, "river-stone-77").status_code == 302


def test_a_deactivated_volunteer_is_not_signed_in_by_a_code(app, make, client):
    user = make.user(Role.VOLUNTEER, username="gone", phone="13800138000")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_active=False))
        db.session.commit()
    response = _sign_in(client, "13800138000", path="/login/code?lang=en")
    assert response.status_code == 422 and "deactivated" in response.get_data(as_text=True)
