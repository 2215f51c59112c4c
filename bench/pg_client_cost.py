"""Where the activity page's query spends its time on PostgreSQL, client side against the database's own
(issue 14): ``python -m bench.pg_client_cost [--samples 500]`` (``make bench-client-cost``).

On a new PostgreSQL database with the busy summer (``bench.pages_inprocess.build``), the activity page's one query
(``activity_page``, for the page's activity) is timed, interleaved sample by sample so that the machine's
swings touch every column alike:

- **the database's own time**: the same SQL run by PL/pgSQL inside the server with its plan kept (as psycopg
  prepares a statement the app runs often), every row read, timed there (``clock_timestamp()``): no network, no
  client (EXPLAIN ANALYZE's instrumentation would add its own cost);
- **what the database reports for it**: ``EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)``, planning + execution, the
  statement planned afresh (EXPLAIN's instrumentation included);
- **raw psycopg**: ``execute`` + ``fetchall`` of that SQL on an open connection (one round trip, no SQLAlchemy);
- **as a GET runs it**: in a GET request context, the page's query in a fresh session (rows, not ORM objects), the
  connection checked out and back in (``db.session.remove()``): what the page pays, with the reads-first session
  (autocommit, no BEGIN);
- **as a POST would**: the same in a POST request context, which keeps the classic transaction (psycopg's
  ``BEGIN`` before the query and the ``ROLLBACK`` at check-in, each a round trip): the cost before the change.

It prints the medians and p90s in µs and each path's ratio to the database's own time; the round trips each path
makes are read from libpq's trace (``bench/wire.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


STEPS = (
    "— of which: session and connection checkout",
    "— of which: execute (the compiled statement from the cache, psycopg send, wait, result description)",
    "— of which: rows to the page (fetch, result types, ActivityPage)",
    "— of which: session closed, connection checked in",
)


def _explained_time(raw, sql: str) -> float:
    """What the database reports for one run of ``sql`` (µs): EXPLAIN ANALYZE's planning + execution time (its
    instrumentation included; the statement is planned afresh)."""
    with raw.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    planning = float(plan.split("Planning Time: ")[1].split(" ms")[0])
    execution = float(plan.split("Execution Time: ")[1].split(" ms")[0])
    return (planning + execution) * 1000


def _server_time(raw, sql: str, times: int = 20) -> float:
    """The database's own time for ``sql`` (µs): run ``times`` times by PL/pgSQL inside the server, every row
    read, timed with ``clock_timestamp()``: no network, no client, no EXPLAIN instrumentation. PL/pgSQL keeps the
    statement's plan, as the app's connections do (psycopg prepares a statement run five times)."""
    notices = []

    def heard(diagnostic) -> None:
        notices.append(diagnostic.message_primary)

    raw.add_notice_handler(heard)
    raw.execute(
        "DO $bench$ DECLARE started timestamptz := clock_timestamp(); row record; BEGIN "
        f"FOR i IN 1..{times} LOOP FOR row IN {sql} LOOP NULL; END LOOP; END LOOP; "
        f"RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - started) * 1e6 / {times}; END $bench$"
    )
    raw.remove_notice_handler(heard)
    return float(notices[-1])


def run(app, code: str, samples: int) -> dict[str, list[float]]:
    from app.activities.queries import _activity_page_statement, activity_page, page_from_rows
    from app.extensions import db
    from bench.wire import WireRecorder

    with app.app_context():
        engine = db.engine
        sql = str(
            _activity_page_statement(False)
            .params(code=code)
            .compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
    admin = engine.connect()  # an open connection of its own for EXPLAIN and raw psycopg
    raw = admin.connection.dbapi_connection
    raw.autocommit = True

    # The transaction path runs on an app (and pool) of its own: psycopg forgets its prepared statements at every
    # ROLLBACK (and sends DEALLOCATE ALL), so sharing connections would make the reads-first path pay for it too.
    from app import create_app
    from tests.conftest import make_test_config

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    apps = {"GET": app, "POST": create_app(make_test_config(str(url), TESTING=False))}
    wires = {}
    for method, each in apps.items():
        with each.app_context():
            wires[method] = WireRecorder(db.engine)

    def as_request(method: str) -> float:
        """Timed inside the request's context (making the context is the request's cost, not the query's)."""
        with apps[method].test_request_context(f"/a/{code}", method=method):
            started = time.perf_counter()
            activity = activity_page(code)
            db.session.remove()
            elapsed = time.perf_counter() - started
        assert activity is not None
        return elapsed * 1e6

    def raw_psycopg() -> float:
        started = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
        return (time.perf_counter() - started) * 1e6

    statement = _activity_page_statement(False)

    def steps() -> None:
        """The GET path cut into its steps, inside one request context (µs each)."""
        with app.test_request_context(f"/a/{code}", method="GET"):
            started = time.perf_counter()
            db.session.connection()
            checked_out = time.perf_counter()
            result = db.session.connection().execute(statement, {"code": code})
            executed = time.perf_counter()
            page_from_rows(result.all())
            loaded = time.perf_counter()
            db.session.remove()
            ended = time.perf_counter()
        for key, value in zip(
            STEPS, (checked_out - started, executed - checked_out, loaded - executed, ended - loaded), strict=True
        ):
            timings[key].append(value * 1e6)

    timings: dict[str, list[float]] = {"server": [], "explained": [], "raw psycopg": [], "GET": [], "POST": []}
    timings.update({key: [] for key in STEPS})
    for _ in range(50):  # warm: plans, the compiled cache, the pool
        as_request("GET"), as_request("POST"), raw_psycopg()
    round_trips = {}
    for method, wire in wires.items():
        wire.start()
        as_request(method)
        round_trips[method] = wire.stop()
    for _ in range(samples):
        timings["server"].append(_server_time(raw, sql))
        timings["explained"].append(_explained_time(raw, sql))
        timings["raw psycopg"].append(raw_psycopg())
        timings["GET"].append(as_request("GET"))
        timings["POST"].append(as_request("POST"))
        steps()
    admin.close()
    for wire in wires.values():
        wire.close()
    with apps["POST"].app_context():
        db.engine.dispose()
    return timings, round_trips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    from bench.pages_inprocess import build
    from bench.scratch import scratch_database

    with scratch_database(args.admin_url, "shouhu_client") as url:
        app, pages = build(url)
        code = pages["activity page, anonymous"][1].rsplit("/", 1)[1]
        timings, round_trips = run(app, code, args.samples)
        server = statistics.median(timings["server"])
        print(f"The activity page's query on PostgreSQL, {args.samples} interleaved samples (µs):\n")
        explained = statistics.median(timings["explained"])
        print("| path | round trips | median µs | p90 µs | × the database's own time | × what it reports |")
        print("|---|---|---:|---:|---:|---:|")
        labels = {
            "server": "the database's own time (run inside the server, PL/pgSQL, plan kept)",
            "explained": "what the database reports for it (EXPLAIN ANALYZE: planning + execution)",
            "raw psycopg": "raw psycopg: execute + fetchall, open connection",
            "GET": "as a GET runs it: fresh session, checkout, rows to the page, check-in (reads first, autocommit)",
            "POST": "the same in a transaction (as before): BEGIN, query, ROLLBACK at check-in",
            **{key: key for key in STEPS},
        }
        for key, label in labels.items():
            values = sorted(timings[key])
            wire = round_trips.get(key)
            trips = f"{wire.round_trips} ({', '.join(wire.commands) or 'no BEGIN/ROLLBACK'})" if wire else "1"
            trips = "—" if key in ("server", "explained") else trips
            median, p90 = statistics.median(values), values[int(len(values) * 0.9)]
            print(
                f"| {label} | {trips} | {median:,.0f} | {p90:,.0f} | {median / server:.1f} | {median / explained:.1f} |"
            )
        from app.extensions import db

        with app.app_context():
            db.engines[None].dispose()


if __name__ == "__main__":
    main()
