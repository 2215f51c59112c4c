"""PostgreSQL behind pgbouncer in transaction mode (issue 11 §7), and the start-up check of the JIT setting.

Real statements go through the session's local pgbouncer (pool_mode=transaction, tests/pgbouncer.py), which also
carries the database tests marked ``pgbouncer``. Skipped when pgbouncer or PostgreSQL is missing, except in CI
(CI=true), where pgbouncer must run.
"""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests import pgbouncer
from tests.conftest import IN_CI, PG_URL, create_postgres_database, make_test_config, session_pgbouncer


def test_behind_pgbouncer_psycopg_prepares_no_statements():
    app = create_app(make_test_config("postgresql+psycopg://u@db:6432/shouhu", DATABASE_POOLER="pgbouncer"))
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    assert "options" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]


def test_without_a_pooler_no_start_up_options_are_sent():
    app = create_app(make_test_config("postgresql+psycopg://u@db:5432/shouhu", DATABASE_POOLER=""))
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_a_url_naming_pgbouncer_counts_as_behind_the_pooler():
    app = create_app(make_test_config("postgresql+psycopg://u@pgbouncer:6432/shouhu", DATABASE_POOLER=""))
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None


def test_healthz_answers_503_when_the_database_is_down():
    port = _free_port()  # nothing listens there
    app = create_app(make_test_config(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize(("setting", "warned"), [("on", True), ("off", False)])
def test_start_up_warns_once_when_jit_is_on(setting, warned, caplog):
    url, drop = create_postgres_database("shouhu_jit")
    admin = create_app(make_test_config(url))
    try:
        with admin.app_context(), db.engine.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'ALTER DATABASE "{name}" SET jit = {setting}'))
            connection.commit()
        with admin.app_context():
            db.engine.dispose()
        app = create_app(make_test_config(url))
        with caplog.at_level(logging.WARNING, logger="app.dbcheck"), app.app_context():
            for _ in range(3):
                with db.engine.connect() as connection:
                    assert connection.scalar(text("SHOW jit")) == setting
            db.engine.dispose()
        warnings = [r for r in caplog.records if r.name == "app.dbcheck" and "jit is on" in r.getMessage()]
        assert len(warnings) == (1 if warned else 0)
    finally:
        drop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pgbouncer_url():
    """The session's pgbouncer (tests/pgbouncer.py), pointed at TEST_DATABASE_URL's database."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI must run the pgbouncer tests, but TEST_DATABASE_URL is not set")
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    if pgbouncer.binary() is None and not IN_CI:
        pytest.skip("pgbouncer is not installed")
    return session_pgbouncer().url_for(PG_URL)


def test_prepared_statements_are_not_used_through_pgbouncer(pgbouncer_url):
    url, drop = create_postgres_database("shouhu_pgb")
    name = make_url(url).database
    through = make_url(pgbouncer_url).set(database=name).render_as_string(hide_password=False)
    app = create_app(make_test_config(through))
    assert app.config["DATABASE_POOLER"] == "pgbouncer"  # the suite's pooled URLs say so (tests/conftest.py)
    try:
        with app.app_context():
            for value in range(20):  # psycopg would prepare after 5 executions; pgbouncer would then lose them
                with db.engine.connect() as connection:
                    assert connection.scalar(text("SELECT CAST(:v AS integer) + 1"), {"v": value}) == value + 1
            db.engine.dispose()
    finally:
        drop()
