"""Staff who chose an SMS code after their password, and anyone resetting a forgotten password by code."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role, User, UserSession
from app.auth.throttle import DEVICE_COOKIE
from app.extensions import db
from tests.codes import ask_for_code, last_code, post_form, sent_codes
from tests.conftest import Auth, csrf_token

PHONE = "13800138000"


def _supervisor(make, **values) -> User:
    return make.user(Role.TOWN_SUPERVISOR, username="duzhao", phone=PHONE, town="shuangshipu", **values)


def _turn_on(app, make) -> User:
    user = _supervisor(make)
    auth = Auth(app.test_client())
    auth.login("duzhao")
    page = auth.client.get("/account?lang=en").get_data(as_text=True)
    assert "SMS code after the password" in page
    response = auth.post("/account/second-step", {"enabled": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).sms_second_step
    return user


def test_staff_turn_the_second_step_on_and_then_need_the_code(app, make):
    _turn_on(app, make)
    client = app.test_client()
    before = len(sent_codes(PHONE))
    response = Auth(client).login("duzhao", follow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-step"
    assert DEVICE_COOKIE not in response.headers.get("Set-Cookie", "")
    assert client.get("/account").status_code == 302  # not logged in yet
    assert len(sent_codes(PHONE)) == before + 1
    page = client.get("/login/second-step?lang=en").get_data(as_text=True)
    assert "138****8000" in page and PHONE not in page
    code = last_code(PHONE)
    wrong = post_form(client, "/login/second-step?lang=en", {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and "The code is not correct" in wrong.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    done = post_form(client, "/login/second-step", {"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert DEVICE_COOKIE in done.headers.get("Set-Cookie", "")  # the known-device cookie, after the whole login
    assert client.get("/account").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.second_step")) is not None


def test_the_second_step_honours_next_and_the_send_limits(app, make):
    _turn_on(app, make)
    client = app.test_client()
    first = client.post(
        "/login?next=/account",
        data={"identifier": "duzhao", "password": "correct-horse-42", "csrf_token": csrf_token(client, "/login")},
    )
    assert first.headers["Location"] == "/login/second-step"
    again = post_form(client, "/login/second-step?lang=en", {"action": "send"})
    assert again.status_code == 422 and "Please wait" in again.get_data(as_text=True)  # one code a minute
    done = post_form(client, "/login/second-step", {"code": last_code(PHONE)})
    assert done.headers["Location"] == "/account"
    other = Auth(app.test_client())
    refused = other.login("duzhao")  # a second login within the minute: no code can go, said on the login page
    assert refused.status_code == 503 and other.client.get("/account").status_code == 302


def test_an_expired_pending_login_asks_to_log_in_again(app, make):
    _turn_on(app, make)
    client = app.test_client()
    Auth(client).login("duzhao")
    with client.session_transaction() as session:
        pending = session["pending_login"]
        session["pending_login"] = {**pending, "until": 0}
    page = client.get("/login/second-step?lang=en").get_data(as_text=True)
    assert "This login has expired" in page
    token = csrf_token(client, "/login")
    response = client.post("/login/second-step?lang=en", data={"code": last_code(PHONE), "csrf_token": token})
    assert "This login has expired" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_the_second_step_needs_a_phone_and_is_for_staff(app, make):
    make.user(Role.TOWN_SUPERVISOR, username="nophone", town="shuangshipu")
    auth = Auth(app.test_client())
    auth.login("nophone")
    auth.post("/account/second-step?lang=en", {"enabled": "1"})
    assert "no mobile number" in auth.client.get("/account?lang=en").get_data(as_text=True)
    volunteer = make.user(Role.VOLUNTEER, username="vol", phone="13800138001")
    auth = Auth(app.test_client())
    auth.login("vol")
    assert "SMS code after the password" not in auth.client.get("/account?lang=en").get_data(as_text=True)
    auth.post("/account/second-step", {"enabled": "1"})
    with app.app_context():
        assert not db.session.get(User, volunteer.id).sms_second_step


def test_staff_turn_the_second_step_off(app, make):
    user = _turn_on(app, make)
    with app.app_context():
        session_count = db.session.query(UserSession).filter_by(user_id=user.id).count()
    assert session_count == 1
    auth = Auth(app.test_client())
    auth.login("duzhao")
    post_form(auth.client, "/login/second-step", {"code": last_code(PHONE)})
    assert auth.post("/account/second-step", {"enabled": "0"}).status_code == 302
    with app.app_context():
        assert not db.session.get(User, user.id).sms_second_step


# --- a forgotten password -----------------------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_code_and_every_session_ends(app, make):
    user = _supervisor(make)
    desk, phone = Auth(app.test_client()), Auth(app.test_client())
    desk.login("duzhao")
    phone.login("duzhao")
    assert desk.client.get("/account").status_code == 200
    client = app.test_client()
    assert "/password/reset" in client.get("/login").get_data(as_text=True)
    sent = ask_for_code(client, "/password/reset?lang=en", PHONE)
    assert sent.status_code == 200 and "If an account has this number" in sent.get_data(as_text=True)
    data = {"phone": PHONE, "code": last_code(PHONE), "code_sent": "1"}
    weak = post_form(client, "/password/reset?lang=en", {**data, "new_password": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422 and "letters and digits" in weak.get_data(as_text=True)  # the code is kept
    done = post_form(client, "/password/reset", {**data, "new_password": "meadow-lark-93", "confirm": "meadow-lark-93"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert desk.client.get("/account").status_code == 302 and phone.client.get("/account").status_code == 302
    assert Auth(app.test_client()).login("duzhao").status_code == 401
    assert Auth(app.test_client()).login("duzhao", "meadow-lark-93").status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.password_reset_by_code"))
        assert entry is not None and entry.object_id == user.id
    reused = post_form(
        client, "/password/reset?lang=en", {**data, "new_password": "x-other-55", "confirm": "x-other-55"}
    )
    assert reused.status_code == 422 and "expired or was already used" in reused.get_data(as_text=True)


def test_an_unknown_number_cannot_reset_anything(app, make, client):
    ask_for_code(client, "/password/reset", "13912345678")
    response = post_form(
        client,
        "/password/reset?lang=en",
        {"phone": "13912345678", "code": "123456", "new_password": "meadow-lark-93", "confirm": "meadow-lark-93"},
    )
    assert response.status_code == 422 and "The code is not correct" in response.get_data(as_text=True)
