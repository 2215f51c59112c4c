"""In-process timing of the volunteer pages at a county's busy summer (205 upcoming activities, 2–3 shifts each,
1,000 volunteers): ``python -m bench.pages_inprocess [--requests 500] [--profile PAGE]``.

Each page is requested through Flask's test client (no server, no network), on SQLite and on PostgreSQL (next to
``--admin-url``), interleaved, three rounds; it prints the median requests per second, the HTML bytes and the SQL
statements per request. Figures are relative: run the versions to compare in one go on the same machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(url: str):
    """The app on a new database at ``url`` with the busy summer; returns (app, paths by page, a logged-in client)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.activities.models import Activity, Shift, Signup, SignupStatus
    from app.directory.reference import load_reference_data
    from app.extensions import db
    from tests.conftest import Auth, make_test_config
    from tests.factories import Factory

    app = create_app(make_test_config(url, TESTING=False))
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    make = Factory(app)
    for n in range(40):  # about the county's organizations
        make.organization(name_zh=f"志愿服务队{n}")
    codes = make.busy_summer(activities=205, volunteers=1000)
    volunteer = make.user(phone="13800000001")
    with app.app_context():
        shift_id = db.session.scalar(
            select(Shift.id).join(Shift.activity).where(Activity.code == codes[0]).order_by(Shift.id)
        )
        db.session.add(Signup(shift_id=shift_id, user_id=volunteer.id, status=SignupStatus.WAITLISTED))
        db.session.execute(text("ANALYZE"))  # as autovacuum would have, after a bulk load
        db.session.commit()
    auth = Auth(app.test_client())
    auth.login("13800000001")
    anonymous = app.test_client()
    pages = {
        "list": (anonymous, "/activities"),
        "list, logged in": (auth.client, "/activities"),
        "activity page, anonymous": (anonymous, f"/a/{codes[0]}"),
        "activity page, logged in": (auth.client, f"/a/{codes[0]}"),
        "join page, new visitor": (anonymous, f"/a/{codes[0]}/join?shift={shift_id}"),
    }
    return app, pages


def measure(app, client, path: str, requests: int) -> tuple[float, int, float]:
    from app.extensions import db

    with app.app_context():
        engine = db.engines[None]
    counted = [0]

    def count(*_args):
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    body = client.get(path)
    assert body.status_code == 200, (path, body.status_code)
    size = len(body.data)
    counted[0] = 0
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    return requests / elapsed, size, counted[0] / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="profile this page instead of timing (on SQLite, or with --on-postgresql)")
    parser.add_argument("--on-postgresql", action="store_true")
    parser.add_argument("--only", default="", help="time only the pages whose name contains this")
    args = parser.parse_args()
    from bench.scratch import scratch_database

    with scratch_database(args.admin_url, "shouhu_pages") as pg_url, tempfile.TemporaryDirectory() as tmp:
        if args.profile:
            app, pages = build(pg_url if args.on_postgresql else f"sqlite:///{tmp}/pages.sqlite3")
            client, path = pages[args.profile]
            profiler = cProfile.Profile()
            profiler.runcall(measure, app, client, path, args.requests)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            return
        built = {"SQLite": build(f"sqlite:///{tmp}/pages.sqlite3"), "PostgreSQL": build(pg_url)}
        results: dict[tuple[str, str], list[float]] = {}
        sizes, statements = {}, {}
        for _round in range(args.rounds):
            for page in [p for p in built["SQLite"][1] if args.only in p]:
                for db_name, (app, pages) in built.items():
                    client, path = pages[page]
                    rate, size, per_request = measure(app, client, path, args.requests)
                    results.setdefault((page, db_name), []).append(rate)
                    sizes[page], statements[(page, db_name)] = size, per_request
        print("| page | SQLite req/s | PostgreSQL req/s | HTML bytes | statements (SQLite / PostgreSQL) |")
        print("|---|---:|---:|---:|---|")
        for page in [p for p in built["SQLite"][1] if args.only in p]:
            lite, pg = (statistics.median(results[(page, d)]) for d in ("SQLite", "PostgreSQL"))
            counts = " / ".join(f"{statements[(page, d)]:g}" for d in ("SQLite", "PostgreSQL"))
            print(f"| {page} | {lite:,.0f} | {pg:,.0f} | {sizes[page]:,} | {counts} |")
        for _app, _pages in built.values():
            from app.extensions import db

            with _app.app_context():
                db.engines[None].dispose()


if __name__ == "__main__":
    main()
