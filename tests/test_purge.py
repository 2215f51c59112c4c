"""``flask purge``: login sessions that can never be used again and failed-login counters that no longer matter
are deleted, live ones stay; the command says how many and leaves an audit entry by the system."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, UserSession, hash_token
from app.db_types import utcnow
from app.extensions import db

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def _session(user_id: int, token: str, *, age: timedelta, revoked: bool = False) -> UserSession:
    now = utcnow()
    return UserSession(
        user_id=user_id,
        token_hash=hash_token(token),
        created_at=now - age,
        revoked_at=now if revoked else None,
    )


def _throttle(key: str, source: str, *, last_failure_ago: timedelta | None, blocked_for: timedelta | None = None):
    now = utcnow()
    return LoginThrottle(
        identifier=key,
        ip_address=source,
        failures=3 if last_failure_ago is not None else 0,
        last_failure_at=now - last_failure_ago if last_failure_ago is not None else None,
        blocked_until=now + blocked_for if blocked_for is not None else None,
    )


def test_purge_deletes_revoked_and_expired_sessions_and_keeps_live_ones(app, make, runner):
    user = make.user()
    duration = app.config["REMEMBER_COOKIE_DURATION"]
    with app.app_context():
        db.session.add_all(
            [
                _session(user.id, "live-new", age=timedelta(minutes=5)),
                _session(user.id, "live-old", age=duration - timedelta(hours=1)),
                _session(user.id, "revoked", age=timedelta(minutes=5), revoked=True),
                _session(user.id, "expired", age=duration + timedelta(hours=1)),
            ]
        )
        db.session.commit()

    result = runner.invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "Purged 2 login sessions" in result.output
    with app.app_context():
        kept = set(db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == user.id)))
        assert kept == {hash_token("live-new"), hash_token("live-old")}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.sessions_purged"))
        assert entry is not None and entry.actor_id is None
        assert entry.detail["count"] == 2 and entry.detail.get("system") is True


def test_purge_deletes_throttle_rows_older_than_the_longest_window_unless_still_blocking(app, runner):
    with app.app_context():
        db.session.add_all(
            [
                _throttle("old", "10.0.0.1", last_failure_ago=timedelta(days=2)),
                _throttle("never-failed", "10.0.0.2", last_failure_ago=None),
                _throttle("recent", "10.0.0.3", last_failure_ago=timedelta(hours=2)),
                _throttle("old-but-blocked", "10.0.0.4", last_failure_ago=timedelta(days=2), blocked_for=timedelta(1)),
            ]
        )
        db.session.commit()

    result = runner.invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "2 failed-login counters" in result.output
    with app.app_context():
        kept = set(db.session.scalars(select(LoginThrottle.identifier)))
        assert kept == {"recent", "old-but-blocked"}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.throttles_purged"))
        assert entry is not None and entry.detail["count"] == 2


def test_a_purged_session_no_longer_logs_anyone_in(app, make, client, auth):
    user = make.user(username="purge-me")
    auth.login("purge-me")
    assert client.get("/account").status_code == 200
    with app.app_context():
        db.session.execute(
            UserSession.__table__.update()
            .where(UserSession.user_id == user.id)
            .values(created_at=utcnow() - app.config["REMEMBER_COOKIE_DURATION"] - timedelta(days=1))
        )
        db.session.commit()

    assert app.test_cli_runner().invoke(args=["purge"]).exit_code == 0

    with app.app_context():
        assert db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all() == []
    assert client.get("/account").status_code == 302
