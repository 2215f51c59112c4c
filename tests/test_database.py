"""The database layer: migrations agree with the models, per-test isolation, UTC timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth.models import User
from app.extensions import db
from tests.conftest import DATABASES, make_test_config, new_database_url

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    return compare_metadata(context, db.metadata)


def test_migrated_database_matches_the_models(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        assert _differences(connection) == []


@pytest.mark.parametrize("kind", DATABASES)
def test_migrations_upgrade_downgrade_and_upgrade_again(kind, tmp_path_factory):
    url, drop = new_database_url(kind, tmp_path_factory)
    fresh = create_app(make_test_config(url))
    try:
        with fresh.app_context():
            upgrade()
            assert "users" in inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert "users" not in inspect(db.engine).get_table_names()
            upgrade()
            with db.engine.connect() as connection:
                assert _differences(connection) == []
            db.engine.dispose()
    finally:
        drop()


def test_each_test_starts_with_no_accounts_a(make, app):
    make.user(username="isolation-check")
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_each_test_starts_with_no_accounts_b(make, app):
    make.user(username="isolation-check")  # would clash on the unique username if the last test leaked
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_timestamps_are_stored_in_utc_and_read_back_aware(make, app):
    beijing = timezone(timedelta(hours=8))
    user = make.user(last_login_at=datetime(2026, 7, 1, 8, 30, tzinfo=beijing))
    with app.app_context():
        stored = db.session.get(User, user.id).last_login_at
    assert stored.tzinfo is not None
    assert stored == datetime(2026, 7, 1, 0, 30, tzinfo=UTC)


def test_naive_timestamps_are_refused(make, app):
    with pytest.raises(Exception, match="naive datetime"):
        make.user(last_login_at=datetime(2026, 7, 1, 8, 30))


def test_only_the_pgbouncer_database_goes_through_the_pooler(app, make, request):
    """On ``pgbouncer`` the test's transaction holds a server connection of pgbouncer's pool for its database, and
    psycopg prepares nothing; on the others the app connects directly."""
    from tests import pgbouncer
    from tests.conftest import session_pgbouncer

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    kind = request.node.callspec.params["database_url"]
    assert pgbouncer.is_pooled(url) == (kind == "pgbouncer")
    if kind != "pgbouncer":
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        return
    assert app.config["DATABASE_POOLER"] == "pgbouncer"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None
    make.user(username="through-the-pooler")
    pool = session_pgbouncer().pools()[make_url(url).database]
    assert pool["pool_mode"] == "transaction"
    assert pool["cl_active"] >= 1 and pool["sv_active"] >= 1


@pytest.mark.parametrize("kind", DATABASES)
def test_a_connection_the_server_hung_up_on_is_replaced_without_a_ping_per_request(kind, tmp_path_factory):
    """No SELECT 1 before each request: a PostgreSQL connection the server ended (a restart, pg_terminate_backend)
    is seen at checkout by its socket and replaced; the request that follows just works."""
    url, drop = new_database_url(kind, tmp_path_factory)
    app = create_app(make_test_config(url))
    try:
        with app.app_context():
            assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
            engine = db.engine
            statements = []
            event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
            assert db.session.scalar(text("SELECT 1")) == 1
            db.session.rollback()
            assert [s for s in statements if s != "BEGIN"] == ["SELECT 1"]  # no ping before it (SQLite's BEGIN is ours)
            if kind != "postgresql":  # through pgbouncer the backend is pgbouncer's, shared by other clients
                return
            pid = db.session.scalar(text("SELECT pg_backend_pid()"))
            db.session.close()
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        time.sleep(0.2)  # the goodbye reaches the socket
        with app.app_context():
            assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()
