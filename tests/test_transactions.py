"""The caller owns the transaction: nothing but the request (or command) commits, on SQLite as on PostgreSQL.

These tests use a database of their own (not the per-test savepoint), because what they check is what happens to
a real, outermost transaction.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.activities.services import begin_write
from app.audit.models import AuditEntry
from app.audit.services import SYSTEM, record
from app.auth.models import Role, User
from app.extensions import db
from tests.conftest import DATABASES, app_on_own_database

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


@pytest.fixture(params=DATABASES)
def own_app(request, tmp_path_factory):
    with app_on_own_database(request.param, tmp_path_factory) as app:
        yield app


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("flushed", [True, False])
def test_begin_write_never_commits_the_callers_pending_work(own_app, flushed):
    with own_app.app_context():
        db.session.scalar(select(func.count(User.id)))  # a read: the transaction has begun
        db.session.add(User(name="待定", username="pending", password_hash="x", role=Role.VOLUNTEER))
        if flushed:
            db.session.flush()
        begin_write()
        db.session.rollback()
    assert _users(own_app) == 0


def test_begin_write_after_a_read_only_transaction_takes_the_write_lock(own_app):
    with own_app.app_context():
        db.session.scalar(select(func.count(User.id)))
        begin_write()
        db.session.add(User(name="写入", username="writer", password_hash="x", role=Role.VOLUNTEER))
        db.session.commit()
    assert _users(own_app) == 1


def test_a_system_action_is_audited_as_the_system_not_as_whoever_is_logged_in(own_app):
    with own_app.test_request_context():
        person = User(name="协调员", username="someone", password_hash="x", role=Role.COORDINATOR)
        db.session.add(person)
        db.session.flush()
        from flask_login import login_user

        login_user(person)
        entry = record("signup.promoted", actor=SYSTEM)
        db.session.commit()
        stored = db.session.get(AuditEntry, entry.id)
        assert stored.actor_id is None and stored.detail == {"system": True}


def test_record_requires_an_explicit_actor(own_app):
    with own_app.app_context(), pytest.raises(TypeError):
        record("signup.promoted")  # type: ignore[call-arg]
