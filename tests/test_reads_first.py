"""On PostgreSQL a reading request (GET, HEAD) reads in autocommit until it first writes (``app/extensions.py``).

What psycopg really sends is read from libpq's own protocol trace (``bench/wire.py``): a page that only reads makes
no ``BEGIN`` and no ``ROLLBACK`` round trip; a GET that writes or locks still does so in one transaction, which
its commit ends and its rollback undoes. These tests use a database of their own (the shared fixture holds every
test in one outer transaction, which is what is under test here).
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select, text

from app.activities.models import Activity, ActivityStatus, Shift
from app.auth.models import Role, User
from app.cli import DEMO_PASSWORD, seed_demo_data
from app.extensions import db
from bench.wire import WireRecorder
from tests.conftest import DATABASES, Auth, app_on_own_database

pytestmark = pytest.mark.pgbouncer

POSTGRES = [kind for kind in DATABASES if kind != "sqlite"]


@pytest.fixture(scope="module", params=POSTGRES or [pytest.param("postgresql", marks=pytest.mark.skip("no PG"))])
def pg_app(request, tmp_path_factory):
    with app_on_own_database(request.param, tmp_path_factory, seed_demo_data) as app:
        with app.app_context():
            app.extensions["wire"] = WireRecorder(db.engine)
        yield app
        app.extensions["wire"].close()


def _wire(app, action):
    recorder = app.extensions["wire"]
    recorder.start()
    try:
        result = action()
    finally:
        wire = recorder.stop()
    return wire, result


def _activity_code(app) -> str:
    with app.app_context():
        return db.session.scalar(
            select(Activity.code)
            .where(Activity.status == ActivityStatus.PUBLISHED, Activity.shifts.any(Shift.capacity > 0))
            .order_by(Activity.id)
        )


def test_a_page_that_only_reads_sends_its_queries_and_nothing_else(pg_app):
    code = _activity_code(pg_app)
    client = pg_app.test_client()
    client.get(f"/a/{code}")  # warm: the render cache, the pool
    wire, page = _wire(pg_app, lambda: client.get(f"/a/{code}"))
    assert page.status_code == 200
    assert wire.commands == [] and wire.round_trips == wire.statements == 1  # the page's one query

    volunteer = Auth(pg_app.test_client())
    assert volunteer.login("volunteer", DEMO_PASSWORD).status_code == 302
    volunteer.client.get(f"/a/{code}")
    wire, page = _wire(pg_app, lambda: volunteer.client.get(f"/a/{code}"))
    assert page.status_code == 200
    assert wire.commands == [] and wire.round_trips == wire.statements == 2  # the login with its unread count; the page


def test_a_post_still_runs_in_one_transaction(pg_app):
    volunteer = Auth(pg_app.test_client())
    volunteer.login("volunteer", DEMO_PASSWORD)
    wire, answer = _wire(pg_app, lambda: volunteer.post("/settings/messages", {"sms": "y"}))
    assert answer.status_code in (200, 302)
    assert wire.begins == 1 and wire.commands[0].startswith("BEGIN") and wire.commands[-1] in ("COMMIT", "ROLLBACK")


def test_a_get_that_writes_begins_before_its_first_write_and_commits(pg_app):
    volunteer = Auth(pg_app.test_client())
    volunteer.login("volunteer", DEMO_PASSWORD)
    wire, page = _wire(pg_app, lambda: volunteer.client.get("/activities?lang=en"))  # remembers the language
    assert page.status_code == 200
    # The loader read in autocommit; the locale's UPDATE began a transaction, which the hook committed.
    assert [command.split()[0] for command in wire.commands] == ["BEGIN", "COMMIT"]
    with pg_app.app_context():
        assert db.session.scalar(select(User.locale).where(User.username == "volunteer")) == "en"
    volunteer.client.get("/activities?lang=zh_Hans_CN")


def test_what_a_get_writes_is_rolled_back_together(pg_app):
    def users() -> int:
        with pg_app.app_context():
            return db.session.scalar(select(func.count(User.id)))

    before = users()
    with pg_app.test_request_context("/", method="GET"):
        assert db.session.scalar(select(func.count(User.id))) == before  # a read in autocommit
        db.session.add(User(name="甲", username="reads-first-a", password_hash="x", role=Role.VOLUNTEER))
        db.session.flush()  # the first write: BEGIN first
        db.session.add(User(name="乙", username="reads-first-b", password_hash="x", role=Role.VOLUNTEER))
        db.session.flush()
        db.session.rollback()
    assert users() == before

    with pg_app.test_request_context("/", method="GET"):
        with db.session.begin_nested():  # a SAVEPOINT begins the transaction too
            db.session.add(User(name="丙", username="reads-first-c", password_hash="x", role=Role.VOLUNTEER))
        db.session.commit()
    assert users() == before + 1


def test_a_lock_taken_in_a_get_is_held_until_its_transaction_ends(pg_app):
    with pg_app.app_context():
        shift_id = db.session.scalar(select(Shift.id).order_by(Shift.id))
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with pg_app.test_request_context("/", method="GET"):
        db.session.scalar(select(Shift.id).where(Shift.id == shift_id).with_for_update())
        with psycopg.connect(url, autocommit=True) as other, pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT id FROM shifts WHERE id = %s FOR UPDATE NOWAIT", (shift_id,))
        db.session.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        db.session.rollback()
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT id FROM shifts WHERE id = %s FOR UPDATE NOWAIT", (shift_id,))


def test_the_bench_traces_the_wire_only_while_it_counts_a_page(pg_app):
    """The side-by-side run's statement counter (bench/wsgi_bench.py) records one page's round trips when asked; a
    worker that is never asked traces nothing (it used to trace every message from its start, which slowed and
    grew that worker through the whole run)."""
    from bench.wsgi_bench import StatementCounter

    code = _activity_code(pg_app)
    client = pg_app.test_client()
    with pg_app.app_context():
        counter = StatementCounter(db.engine)
    client.get(f"/a/{code}")
    assert counter.wire.written == 0
    counter.reset()
    assert client.get(f"/a/{code}").status_code == 200
    assert counter.figures()["round_trips"] >= 1
    recorded = counter.wire.written
    assert recorded > 0
    client.get(f"/a/{code}")
    client.get("/activities")
    assert counter.wire.written == recorded
    counter.wire.close()
