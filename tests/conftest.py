"""Test fixtures: a real, migrated database per run (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
rolled back after every test; the real app and its test client; builders for the models.

Every test that uses ``app`` or ``client`` runs once per database; the run ends with a line naming the
databases it really used, e.g. ``databases: sqlite, postgresql, pgbouncer``.

``pgbouncer`` is PostgreSQL again, with the app's URL going through a local pgbouncer in transaction mode
(tests/pgbouncer.py) and ``DATABASE_POOLER=pgbouncer``; creating and dropping databases stays on the direct
connection. It is there when TEST_DATABASE_URL is set and pgbouncer is installed (in CI, CI=true, a missing
pgbouncer fails the run). Only modules marked ``pytest.mark.pgbouncer`` run on it: the database-heavy ones.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.directory.reference import load_reference_data
from app.extensions import db
from app.jobs import huey
from app.notifications.channels import DEV_SENT
from config import TestingConfig, _normalise_database_url
from tests import (
    pgbouncer,
    route_coverage,  # noqa: F401 - records the data-changing routes the suite submits
)
from tests.factories import Factory

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true"}
# In CI pgbouncer is required: its absence fails the pgbouncer tests instead of leaving them out.
POOLED = bool(PG_URL) and (IN_CI or pgbouncer.binary() is not None)
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else []) + (["pgbouncer"] if POOLED else [])
_used_databases: set[str] = set()


def pytest_report_header(config) -> str:
    return f"databases configured: {', '.join(DATABASES)}"


def pytest_generate_tests(metafunc) -> None:
    """Every test on the shared database runs once per database; on pgbouncer only where marked ``pgbouncer``."""
    if "database_url" not in metafunc.fixturenames:
        return
    marked = metafunc.definition.get_closest_marker("pgbouncer") is not None
    kinds = [kind for kind in DATABASES if kind != "pgbouncer" or marked]
    metafunc.parametrize("database_url", kinds, indirect=True, scope="session")


def pytest_sessionfinish(session, exitstatus) -> None:
    pgbouncer.stop_session_pgbouncer()


_browser_outcomes = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_collection_modifyitems(session, config, items) -> None:
    """Run the route-coverage check last, and tell it whether this run is the whole suite."""
    from pathlib import Path

    from tests.test_route_coverage import WHOLE_RUN

    root = Path(__file__).resolve().parent
    given = [Path(str(arg).split("::")[0]).resolve() for arg in config.args] or [root]
    config.stash[WHOLE_RUN] = (
        all(path in (root, root.parent) for path in given)
        and not config.option.keyword
        and not config.option.markexpr
        and not getattr(config.option, "lf", False)
    )
    last = [item for item in items if item.nodeid.startswith("tests/test_route_coverage.py")]
    items[:] = [item for item in items if item not in last] + last


def pytest_runtest_logreport(report) -> None:
    """Count the browser tests' outcomes, so CI can tell that they really ran."""
    if "tests/browser/" not in report.nodeid:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _browser_outcomes[report.outcome] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    used = [name for name in DATABASES if name in _used_databases]
    terminalreporter.write_line(f"databases: {', '.join(used) if used else 'none'}")
    counts = ", ".join(f"{n} {outcome}" for outcome, n in _browser_outcomes.items())
    terminalreporter.write_line(f"browser tests: {counts}")


def mark_database_used(name: str) -> None:
    _used_databases.add(name)


def make_test_config(url: str, **overrides) -> TestingConfig:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    if pgbouncer.is_pooled(url):
        config.DATABASE_POOLER = "pgbouncer"
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def create_postgres_database(prefix: str = "shouhu_test") -> tuple[str, callable]:
    """A brand-new PostgreSQL database next to TEST_DATABASE_URL's; returns its URL and a function that drops it."""
    base = make_url(_normalise_database_url(PG_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'ALTER DATABASE "{name}" SET jit = off'))  # as production sets it (app/dbcheck.py)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def session_pgbouncer() -> pgbouncer.PgBouncer:
    """The session's pgbouncer; fails the test (not skips) when it cannot run."""
    try:
        return pgbouncer.session_pgbouncer(PG_URL)
    except RuntimeError as error:
        pytest.fail(f"the pgbouncer tests must run{' in CI' if IN_CI else ''}, but: {error}")


def new_database_url(kind: str, tmp_path_factory) -> tuple[str, callable]:
    """A new, empty database of ``kind`` (one of DATABASES): its URL for the app and a function that drops it."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "shouhu.sqlite3"
        return f"sqlite:///{path}", lambda: None
    if kind == "pgbouncer":
        bouncer = session_pgbouncer()
        url, drop = create_postgres_database()  # CREATE and DROP DATABASE go straight to PostgreSQL
        return bouncer.url_for(url), drop
    return create_postgres_database()


@contextmanager
def app_on_own_database(kind: str, tmp_path_factory, prepare=None):
    """An app on a new database of ``kind`` of its own, migrated (and ``prepare()`` run in its context, committed):
    for tests of what a real, outermost transaction does, which the shared per-test savepoint would hide."""
    url, drop = new_database_url(kind, tmp_path_factory)
    app = create_app(make_test_config(url))
    with app.app_context():
        upgrade()
        if prepare is not None:
            prepare()
            db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


def database_kind(url: str) -> str:
    return "pgbouncer" if pgbouncer.is_pooled(url) else make_url(url).get_backend_name()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """Parametrized by ``pytest_generate_tests`` (per module: with or without pgbouncer)."""
    url, drop = new_database_url(request.param, tmp_path_factory)
    yield url
    drop()


@pytest.fixture(scope="session")
def migrated_app(database_url):
    """The app on a database built the way production builds it: ``flask db upgrade``, then reference data."""
    app = create_app(make_test_config(database_url))
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        # Each test's sessions work inside a SAVEPOINT of one outer transaction that is rolled back afterwards.
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
    mark_database_used(database_kind(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_app):
    """The app, its database connection held in a transaction that is rolled back after the test.

    No app context stays pushed, so each request gets a fresh one (as in production) and a fresh session.
    """
    with migrated_app.app_context():
        engines = db.engines
    engine = engines[None]
    connection = engine.connect()
    outer = connection.begin()
    engines[None] = connection
    huey.flush()  # nothing queued by an earlier test
    DEV_SENT.clear()  # nor sent: the development outbox keeps the last 100, so counts would depend on the order
    try:
        yield migrated_app
    finally:
        engines[None] = engine
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factory:
    """Builders for models: ``make.user(role=...)``, ``make.village(...)``; each commits and returns the row."""
    return Factory(app)


CSRF_RE = re.compile(r'<input[^>]*name="[\w-]*csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    """Log in and out through the real login form, CSRF token and all."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, identifier: str, password: str = Factory.PASSWORD, remember: bool = False, **kwargs):
        data = {"identifier": identifier, "password": password, "csrf_token": csrf_token(self.client, "/login")}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data, **kwargs)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token, as a browser would after opening the page."""
        return self.client.post(path, data={**(data or {}), "csrf_token": csrf_token(self.client)}, **kwargs)


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counted: ...`` then ``counted.n``: SQL statements run (to catch N+1 queries)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counted = type("Counted", (), {"n": 0})()
        with app.app_context():
            connection = db.engines[None]

        def count(*_args, **_kwargs):
            counted.n += 1

        event.listen(connection, "before_cursor_execute", count)
        try:
            yield counted
        finally:
            event.remove(connection, "before_cursor_execute", count)

    return counting
