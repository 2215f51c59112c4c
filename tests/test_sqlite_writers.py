"""SQLite writers wait for each other: every data-changing request begins with BEGIN IMMEDIATE, so concurrent
writers queue on the write lock (busy_timeout) and none fails with "database is locked". Real threads, a file
database, real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from app import create_app
from app.activities.checkin import make_token
from app.activities.models import Activity, Shift, Signup
from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle
from app.auth.throttle import ACCOUNT_SOURCE
from app.db_types import utcnow
from app.directory.reference import load_reference_data
from app.extensions import db
from tests.conftest import Auth, csrf_token, make_test_config, new_database_url
from tests.factories import Factory
from tests.threads import run_together

THREADS = 16


@pytest.fixture
def file_app(tmp_path_factory):
    url, _drop = new_database_url("sqlite", tmp_path_factory)
    app = create_app(make_test_config(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS, "max_overflow": 4}))
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def shift_open_for_check_in(app, capacity: int) -> tuple[int, str]:
    """A published shift starting in half an hour (inside the check-in window) and its check-in code."""
    activity = Factory(app).activity(shifts=[(9, 12, capacity)])
    with app.test_request_context():
        row = db.session.get(Activity, activity.id)
        start = utcnow() + timedelta(minutes=30)
        row.shifts[0].starts_at, row.shifts[0].ends_at = start, start + timedelta(hours=3)
        row.starts_at, row.ends_at = start, start + timedelta(hours=3)
        db.session.commit()
        shift = db.session.get(Shift, row.shifts[0].id)
        return shift.id, make_token(shift)


def check_in_job(browser: Auth, url: str):
    token = csrf_token(browser.client, url)
    return lambda: browser.client.post(url, data={"action": "in", "csrf_token": token}).status_code


def test_data_changing_requests_begin_immediate_and_reads_do_not(file_app):
    app = file_app
    Factory(app).user(username="watched")
    browser = Auth(app.test_client())
    token = csrf_token(browser.client, "/login")
    begins: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        browser.client.post(
            "/login?lang=en", data={"identifier": "watched", "password": "wrong-1", "csrf_token": token}
        )
        posted = list(begins)
        begins.clear()
        browser.client.get("/login")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert posted and set(posted) == {"BEGIN IMMEDIATE"}
    assert "BEGIN IMMEDIATE" not in begins


def test_a_double_check_in_is_one_check_in_and_neither_request_fails(file_app):
    app = file_app
    shift_id, code = shift_open_for_check_in(app, capacity=3)
    user = Factory(app).user()
    url = f"/c/{shift_id}/{code}"
    phones = [Auth(app.test_client()) for _ in range(2)]
    for phone in phones:
        assert phone.login(user.username).status_code == 302
    statuses = run_together([check_in_job(phone, url) for phone in phones])
    assert statuses == [302, 302]
    with app.app_context():
        signups = db.session.scalars(select(Signup).where(Signup.shift_id == shift_id)).all()
        assert len(signups) == 1 and signups[0].checked_in_at is not None
        checked_in = select(func.count()).where(AuditEntry.action == "signup.checked_in")
        assert db.session.scalar(checked_in) == 1


def test_failed_logins_while_others_check_in_all_succeed_or_fail_cleanly(file_app):
    app = file_app
    make = Factory(app)
    shift_id, code = shift_open_for_check_in(app, capacity=THREADS)
    make.user(username="besieged")
    url = f"/c/{shift_id}/{code}"
    volunteers = []
    for _ in range(THREADS // 2):
        browser = Auth(app.test_client())
        assert browser.login(make.user().username).status_code == 302
        volunteers.append(browser)
    guessers = [Auth(app.test_client()) for _ in range(THREADS // 2)]

    def guess_job(browser: Auth, n: int):
        token = csrf_token(browser.client, "/login")
        data = {"identifier": "besieged", "password": f"guess-{n}", "csrf_token": token}
        environ = {"REMOTE_ADDR": f"10.20.0.{n}"}
        return lambda: browser.client.post("/login", data=data, environ_base=environ).status_code

    jobs = [check_in_job(browser, url) for browser in volunteers]
    jobs += [guess_job(browser, n) for n, browser in enumerate(guessers)]
    statuses = run_together(jobs)
    assert sorted(statuses) == [302] * len(volunteers) + [401] * len(guessers)
    with app.app_context():
        checked_in = select(func.count()).where(Signup.shift_id == shift_id, Signup.checked_in_at.is_not(None))
        assert db.session.scalar(checked_in) == len(volunteers)
        failures = select(LoginThrottle.failures).where(
            LoginThrottle.identifier == "besieged", LoginThrottle.ip_address == ACCOUNT_SOURCE
        )
        assert db.session.scalar(failures) == len(guessers)
