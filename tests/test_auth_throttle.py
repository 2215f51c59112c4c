"""The login throttle cannot lock out the owner: a returning browser (device cookie) is judged on its own failures,
other attempts per (account, address) and per account across all addresses; counts stay exact under concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle
from app.auth.services import authenticate
from app.auth.throttle import ACCOUNT_SOURCE, DEVICE_COOKIE
from app.db_types import utcnow
from app.directory.reference import load_reference_data
from app.extensions import db
from tests.conftest import DATABASES, Auth, csrf_token, make_test_config, new_database_url
from tests.factories import Factory
from tests.threads import run_together

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def account_failures(app, key: str) -> int | None:
    with app.app_context():
        return db.session.scalar(
            select(LoginThrottle.failures).where(
                LoginThrottle.identifier == key, LoginThrottle.ip_address == ACCOUNT_SOURCE
            )
        )


def returning_device(app, username: str) -> Auth:
    """A browser that has logged in to the account before (and logged out again): it keeps the device cookie."""
    browser = Auth(app.test_client())
    assert browser.login(username).status_code == 302
    browser.logout()
    assert browser.client.get_cookie(DEVICE_COOKIE) is not None
    return browser


def test_returning_device_logs_in_while_an_attacker_at_the_same_address_has_the_account_locked(app, make):
    make.user(username="victim")
    victim = returning_device(app, "victim")
    attacker = Auth(app.test_client())
    statuses = [attacker.login("victim", f"guess-{i}").status_code for i in range(12)]
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
    # The attacker, at the same village address, is refused even with the right password ...
    assert attacker.login("victim").status_code == 429
    assert attacker.client.get("/account").status_code == 302
    # ... but the owner's phone, which has logged in before, gets in at once.
    assert victim.login("victim").status_code == 302
    assert victim.client.get("/account").status_code == 200


def test_rotating_addresses_hit_the_per_account_cap(app, make):
    make.user(username="rotated")
    attacker = Auth(app.test_client())
    statuses = [attacker.login("rotated", f"guess-{i}", **at(f"10.1.0.{i}")).status_code for i in range(24)]
    # Only the cap's worth of guesses had their password checked; the rest were refused unchecked.
    assert statuses == [401] * 10 + [429] * 14
    assert audit_count(app, "auth.login_failed") == 10
    assert audit_count(app, "auth.login_refused") == 14
    assert account_failures(app, "rotated") == 10


def test_right_password_from_a_new_device_is_refused_while_the_account_is_capped(app, make):
    make.user(username="capped")
    attacker = Auth(app.test_client())
    for i in range(10):
        attacker.login("capped", f"guess-{i}", **at(f"10.2.0.{i}"))
    newcomer = Auth(app.test_client())
    response = newcomer.login("capped", **at("10.9.9.9"))
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "新设备登录暂停至" in page
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert newcomer.client.get("/account").status_code == 302
    english = Auth(app.test_client()).login("capped", query_string={"lang": "en"}, **at("10.9.9.8"))
    assert "Logins from new devices are paused until" in english.get_data(as_text=True)


def test_a_refused_attempt_never_checks_the_password(app, make):
    make.user(username="oracle")
    attacker = Auth(app.test_client())
    for i in range(10):
        attacker.login("oracle", f"guess-{i}", **at(f"10.3.0.{i}"))
    wrong = attacker.login("oracle", "still-wrong-1", **at("10.3.1.1"))
    right = attacker.login("oracle", **at("10.3.1.2"))
    assert wrong.status_code == right.status_code == 429
    assert wrong.get_data(as_text=True).count("新设备登录暂停至") == 1
    assert account_failures(app, "oracle") == 10  # refused attempts are not counted either


def test_phone_and_username_share_one_account_cap(app, make):
    make.user(username="twonames", phone="13712345678")
    attacker = Auth(app.test_client())
    for i in range(10):
        typed = "13712345678" if i % 2 else "TwoNames"
        assert attacker.login(typed, f"guess-{i}", **at(f"10.4.0.{i}")).status_code == 401
    assert attacker.login("137 1234 5678", "guess-x", **at("10.4.1.1")).status_code == 429
    assert account_failures(app, "twonames") == 10


def test_a_returning_device_that_fails_too_often_is_slowed_itself(app, make):
    make.user(username="clumsy")
    device = returning_device(app, "clumsy")
    assert [device.login("clumsy", f"typo-{i}").status_code for i in range(3)] == [401, 401, 401]
    response = device.login("clumsy")
    assert response.status_code == 429
    assert "请等待" in response.get_data(as_text=True)
    # Its failures were its own: another browser at this address is not slowed, the account is not capped.
    assert Auth(app.test_client()).login("clumsy").status_code == 302
    assert not account_failures(app, "clumsy")


def test_a_forged_or_foreign_device_cookie_counts_as_none(app, make):
    make.user(username="owner")
    make.user(username="other")
    other_device = returning_device(app, "other")
    attacker = Auth(app.test_client())
    for i in range(10):
        attacker.login("owner", f"guess-{i}", **at(f"10.5.0.{i}"))
    forged = Auth(app.test_client())
    forged.client.set_cookie(DEVICE_COOKIE, "eyJvd25lciI6Im5vbmNlIn0.forged.signature")
    assert forged.login("owner").status_code == 429
    # A genuine cookie for another account does not vouch for this one.
    assert other_device.login("owner").status_code == 429
    assert other_device.login("other").status_code == 302


def test_device_cookie_is_signed_http_only_lax_long_lived_and_secure_over_https(app, make):
    make.user(username="cookie")
    response = Auth(app.test_client()).login("cookie")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Max-Age=31536000" in header
    assert "Secure" not in header
    secure = Auth(app.test_client())
    response = secure.client.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
        data={"identifier": "cookie", "password": Factory.PASSWORD, "csrf_token": csrf_token(secure.client, "/login")},
    )
    assert response.status_code == 302
    assert "Secure" in next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE))


def test_the_account_cap_lifts_after_its_window(app, make):
    user = make.user(username="patient")
    now = utcnow()
    with app.test_request_context():
        for i in range(10):
            assert authenticate("patient", f"guess-{i}", f"10.6.0.{i}", now=now).error == "bad_credentials"
        capped = authenticate("patient", make.PASSWORD, "10.6.1.1", now=now + timedelta(minutes=14))
        assert capped.error == "account_capped"
        assert capped.retry_at == now + timedelta(minutes=15)
        later = authenticate("patient", make.PASSWORD, "10.6.1.1", now=now + timedelta(minutes=16))
        assert later.user is not None and later.user.id == user.id
        # A failure long after the last one starts the count again.
        authenticate("patient", "guess-late", "10.6.1.2", now=now + timedelta(hours=2))
        assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.ip_address == ACCOUNT_SOURCE)) == 1
        db.session.rollback()


# --- concurrency: real threads, each with its own connection, through real HTTP -------------------------------

THREADS = 24


def _concurrent_app(request, tmp_path_factory, **overrides):
    url, drop = new_database_url(request.param, tmp_path_factory)
    options = {"pool_size": THREADS, "max_overflow": 4}
    app = create_app(make_test_config(url, SQLALCHEMY_ENGINE_OPTIONS=options, **overrides))
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    return app, drop


@pytest.fixture(params=DATABASES)
def generous_app(request, tmp_path_factory):
    """No waits and no caps, so that every concurrent failure is checked and must be counted."""
    app, drop = _concurrent_app(
        request, tmp_path_factory, LOGIN_FREE_FAILURES=100, LOGIN_LOCK_FAILURES=100, LOGIN_ACCOUNT_FAILURES=100
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture(params=DATABASES)
def strict_app(request, tmp_path_factory):
    app, drop = _concurrent_app(request, tmp_path_factory)
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


def fire_logins(app, attempts: list[tuple[str, str, str]]) -> list[int]:
    """POST /login concurrently, one browser per (identifier, password, address); returns the statuses."""
    browsers = [Auth(app.test_client()) for _ in attempts]
    tokens = [csrf_token(browser.client, "/login") for browser in browsers]

    def attempt(browser: Auth, token: str, identifier: str, password: str, address: str):
        data = {"identifier": identifier, "password": password, "csrf_token": token}
        return lambda: browser.client.post("/login", data=data, **at(address)).status_code

    return run_together(
        [attempt(browser, token, *args) for browser, token, args in zip(browsers, tokens, attempts, strict=True)]
    )


def test_concurrent_failed_logins_are_all_counted(generous_app):
    app = generous_app
    Factory(app).user(username="hammered")
    statuses = fire_logins(app, [("hammered", f"guess-{i}", "10.7.0.1") for i in range(20)])
    assert statuses == [401] * 20
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(LoginThrottle.ip_address, LoginThrottle.failures).where(LoginThrottle.identifier == "hammered")
            ).all()
        )
    assert counts == {"10.7.0.1": 20, ACCOUNT_SOURCE: 20}
    assert audit_count(app, "auth.login_failed") == 20


def test_concurrent_guesses_from_rotating_addresses_check_no_more_than_the_cap(strict_app):
    app = strict_app
    Factory(app).user(username="swarmed")
    statuses = fire_logins(app, [("swarmed", f"guess-{i}", f"10.8.0.{i}") for i in range(THREADS)])
    assert sorted(statuses) == [401] * 10 + [429] * (THREADS - 10)
    assert audit_count(app, "auth.login_failed") == 10
    assert account_failures(app, "swarmed") == 10
