"""Logging in and out: names, passwords, sessions, the throttle and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, Role, User, UserSession
from app.auth.services import authenticate
from app.db_types import utcnow
from app.extensions import db
from tests.conftest import Auth


def test_login_with_username_then_home_shows_the_name(auth, client, make):
    make.user(Role.COORDINATOR, username="li-na", name="李娜", organization="youth-league")
    response = auth.login("LI-NA")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "李娜" in page


@pytest.mark.parametrize("typed", ["13912345678", "139 1234 5678", "+86 139-1234-5678"])
def test_login_with_mobile_number_in_any_common_format(auth, make, typed):
    make.user(phone="13912345678", username=None)
    assert auth.login(typed).status_code == 302


def test_wrong_password_is_refused_with_a_message_and_recorded(auth, client, make, app):
    user = make.user(username="wang")
    response = auth.login("wang", "not-the-password-1")
    assert response.status_code == 401
    assert "手机号、用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still anonymous
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))
        assert entry.object_id == user.id
        assert entry.detail["reason"] == "bad_credentials"


def test_unknown_account_gets_the_same_message(auth):
    response = auth.login("nobody-here", "whatever-123")
    assert response.status_code == 401
    assert "手机号、用户名或密码不正确" in response.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(auth, make):
    make.user(username="gone", is_active=False)
    response = auth.login("gone")
    assert response.status_code == 403
    assert "账号已停用" in response.get_data(as_text=True)


def test_login_is_recorded(auth, make, app):
    user = make.user(username="zhao")
    auth.login("zhao")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login"))
        assert entry.actor_id == user.id
        assert db.session.get(User, user.id).last_login_at is not None


def test_logout_needs_post(auth, client, make):
    make.user(username="sun")
    auth.login("sun")
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/account").status_code == 302


def test_login_starts_a_new_session_and_logout_revokes_it(app, make):
    make.user(username="qian")
    browser = app.test_client()
    Auth(browser).login("qian")
    stolen_cookie = browser.get_cookie("session").value
    Auth(browser).logout()
    # An attacker replaying the cookie from before the logout gets nothing.
    attacker = app.test_client()
    attacker.set_cookie("session", stolen_cookie)
    assert attacker.get("/account").status_code == 302


def test_session_cookie_from_before_login_is_not_reused(app, make):
    make.user(username="zhou")
    browser = app.test_client()
    browser.get("/login")
    before = browser.get_cookie("session").value
    Auth(browser).login("zhou")
    after = browser.get_cookie("session").value
    assert before != after
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert planted.get("/account").status_code == 302


def test_remember_me_keeps_the_user_logged_in_after_the_browser_session(app, make):
    make.user(username="wu")
    browser = app.test_client()
    Auth(browser).login("wu", remember=True)
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/account").status_code == 200


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, make):
    make.user(username="zheng")
    phone, desk = app.test_client(), app.test_client()
    Auth(phone).login("zheng")
    Auth(desk).login("zheng")
    response = Auth(desk).post(
        "/account/password",
        {"current_password": make.PASSWORD, "new_password": "new-secret-77", "confirm": "new-secret-77"},
    )
    assert response.status_code == 302
    assert desk.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    assert Auth(app.test_client()).login("zheng", "new-secret-77").status_code == 302


def test_change_password_with_wrong_current_password_changes_nothing(auth, client, make):
    make.user(username="feng")
    auth.login("feng")
    response = auth.post(
        "/account/password",
        {"current_password": "wrong-one-1", "new_password": "new-secret-77", "confirm": "new-secret-77"},
    )
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)
    auth.logout()
    assert auth.login("feng").status_code == 302


def test_deactivation_ends_every_session(app, auth, make):
    make.admin(username="boss")
    target = make.user(username="chen")
    victim = app.test_client()
    Auth(victim).login("chen")
    auth.login("boss")
    auth.post(f"/admin/accounts/{target.id}/active", {"active": "0"})
    assert victim.get("/account").status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(
                select(UserSession).where(UserSession.user_id == target.id, UserSession.revoked_at.is_(None))
            ).all()
            == []
        )


def test_repeated_failures_slow_down_then_lock(auth, make, app):
    make.user(username="target")
    statuses = [auth.login("target", f"guess-{i}").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    # The third failure starts a wait: even the right password is not checked now.
    response = auth.login("target")
    assert response.status_code == 429
    assert "请等待" in response.get_data(as_text=True)


def test_lock_after_many_failures_is_per_account_and_address(app, make):
    user = make.user(username="shared")
    now = utcnow()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        for i in range(10):
            result = authenticate("shared", f"guess-{i}", "10.0.0.1", now=now + timedelta(hours=i))
            assert result.error == "bad_credentials"
        soon = now + timedelta(hours=9, minutes=1)
        locked = authenticate("shared", make.PASSWORD, "10.0.0.1", now=soon)
        assert locked.error == "locked"
        # The same account from another address (another village) is not locked out.
        other = authenticate("shared", make.PASSWORD, "10.0.0.2", now=soon)
        assert other.user is not None and other.user.id == user.id
        # After the lock runs out the right password works and clears the count.
        later = authenticate("shared", make.PASSWORD, "10.0.0.1", now=now + timedelta(hours=9, minutes=20))
        assert later.user is not None
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.ip_address == "10.0.0.1"))
        assert (row.failures, row.blocked_until) == (0, None)
        db.session.rollback()


def test_next_parameter_only_goes_to_this_site(auth, make):
    make.user(username="safe")
    response = auth.login("safe", query_string={"next": "https://evil.example/phish"})
    assert response.headers["Location"] == "/"


def test_next_parameter_to_a_page_here_is_followed(app, make):
    make.user(username="goer")
    response = Auth(app.test_client()).login("goer", query_string={"next": "/account"})
    assert response.headers["Location"] == "/account"


def test_account_made_by_admin_must_change_password_first(auth, client, make):
    make.user(Role.CHILD_DIRECTOR, username="newbie", must_change_password=True)
    auth.login("newbie")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"


def test_login_form_without_csrf_token_is_refused(client, make):
    make.user(username="nocsrf")
    response = client.post("/login", data={"identifier": "nocsrf", "password": make.PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_logout_deletes_the_remember_me_cookie_and_keeps_the_language(app, make):
    make.user(username="leaver")
    auth = Auth(app.test_client())
    auth.login("leaver", remember=True)
    auth.client.get("/?lang=en")
    auth.logout()
    assert auth.client.get_cookie("remember_token") is None
    assert 'lang="en"' in auth.client.get("/").get_data(as_text=True)


def test_missing_csrf_token_message_in_english(client):
    response = client.post("/login?lang=en", data={"identifier": "x", "password": "y"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
