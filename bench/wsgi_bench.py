"""The app as gunicorn serves it for the load benchmarks, plus two baselines on the same server set-up:
``/bench/hello`` (bare Flask) and ``/bench/one-query`` (one SQL query and a small template).

``BENCH_DATABASE_URL`` names the database (and makes the module-level ``app`` gunicorn serves); with
``BENCH_COUNT_STATEMENTS=1`` the app also answers ``/bench/statements?path=<page>``: it serves that page to the same
request (its cookies too) and returns, as JSON, the SQL the page sent — every statement through a cursor
(``before_cursor_execute``: SQLite's explicit ``BEGIN`` included), the pool's pre-ping ``SELECT 1`` (which the
driver runs on its own cursor, so no statement event sees it: counted by the pool's ``checkout`` event, which follows
a ping on every checkout except a brand-new connection's first) and the COMMITs and ROLLBACKs — with the status and
the bytes of the body.
"""

from __future__ import annotations

import json
import os

from flask import Flask, render_template_string
from sqlalchemy import event, func, select

from app import create_app
from app.directory.models import Town
from app.extensions import db
from bench.wire import WireRecorder
from config import TestingConfig


class BenchConfig(TestingConfig):
    TESTING = False
    BIND_MIGRATE = None  # a served worker as production has it: no Flask-Migrate, no alembic


class StatementCounter:
    """Counts what one process sends to its database; installed on the bench app's engine only. On PostgreSQL the
    round trips are read from libpq's own trace of the wire (``bench/wire.py``): psycopg's ``BEGIN``, ``COMMIT``
    and ``ROLLBACK`` are sent by the driver itself, where no statement event sees them."""

    def __init__(self, engine) -> None:
        self.pre_ping = bool(getattr(engine.pool, "_pre_ping", False))  # the app pings no more (app/dbcheck.py)
        self.wire = WireRecorder(engine) if engine.dialect.name == "postgresql" else None
        self.statements, self.begins, self.pings, self.ends = 0, 0, 0, 0  # the wire is traced only from reset()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)
        event.listen(engine.pool, "connect", self._connect)
        event.listen(engine.pool, "checkout", self._checkout)

    def reset(self) -> None:
        self.statements, self.begins, self.pings, self.ends = 0, 0, 0, 0
        if self.wire is not None:
            self.wire.start()

    def _statement(self, connection, cursor, statement, *_args) -> None:
        self.statements += 1
        self.begins += statement.lstrip()[:5].upper() == "BEGIN"

    def _end(self, _connection) -> None:
        self.ends += 1

    @staticmethod
    def _connect(_dbapi_connection, record) -> None:
        record.info["bench_fresh"] = True  # the pool skips the pre-ping at a new connection's first checkout

    def _checkout(self, _dbapi_connection, record, _proxy) -> None:
        fresh = record.info.pop("bench_fresh", False)
        if not fresh and self.pre_ping:  # a ping only when the pool is set to ping
            self.pings += 1

    def figures(self) -> dict:
        """SQLite: statements through a cursor (its ``BEGIN`` included) and COMMIT/ROLLBACK calls. PostgreSQL: the
        round trips on the wire, of which statements (the pre-ping included) and BEGINs, COMMITs and ROLLBACKs."""
        if self.wire is not None:
            wire = self.wire.stop()
            return {
                "round_trips": wire.round_trips,
                "statements": wire.statements,
                "begins": wire.begins,
                "pings": self.pings,
                "ends": wire.ends,
            }
        return {
            "round_trips": None,
            "statements": self.statements + self.pings,
            "begins": self.begins,
            "pings": self.pings,
            "ends": self.ends,
        }


def count_statements(app: Flask) -> StatementCounter:
    """Answer ``/bench/statements?path=...`` (a WSGI wrapper outside Flask, so the counted request is the page's
    own, with nothing of the wrapper's in it)."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        if environ.get("PATH_INFO") != "/bench/statements":
            return inner(environ, start_response)
        from urllib.parse import parse_qs

        target = parse_qs(environ.get("QUERY_STRING", "")).get("path", ["/"])[0]
        path, _, query = target.partition("?")
        page_environ = {**environ, "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_URI": target, "RAW_URI": target}
        seen = {}

        def page_start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return lambda _data: None

        counter.reset()
        body = inner(page_environ, page_start)
        try:
            size = sum(len(chunk) for chunk in body)
        finally:
            if hasattr(body, "close"):
                body.close()
        answer = json.dumps({**counter.figures(), "status": seen.get("status"), "bytes": size}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
        return [answer]

    app.wsgi_app = wsgi_app
    return counter


def create_bench_app(
    url: str, public_url: str = "http://127.0.0.1:8000", *, statements: bool = False, migrations: bool = False
) -> Flask:
    config = BenchConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    config.BIND_MIGRATE = migrations or None
    config.PUBLIC_BASE_URL = public_url
    bench_app = create_app(config)

    @bench_app.route("/bench/hello")
    def hello():
        return "hello"

    @bench_app.route("/bench/one-query")
    def one_query():
        count = db.session.scalar(select(func.count(Town.id)))
        return render_template_string("<!doctype html><title>bench</title><p>{{ n }} towns</p>", n=count)

    if statements:
        count_statements(bench_app)
    return bench_app


if "BENCH_DATABASE_URL" in os.environ:
    app = create_bench_app(
        os.environ["BENCH_DATABASE_URL"],
        os.environ.get("BENCH_PUBLIC_URL", "http://127.0.0.1:8000"),
        statements=os.environ.get("BENCH_COUNT_STATEMENTS", "") == "1",
    )
