"""Time the pages people open most, through the real app and a real (SQLite or PostgreSQL) database.

Usage: ``python -m bench [--database-url URL] [--requests N]``. Prints median and 95th-percentile latency per page
and the SQL statements each needs, so a regression (an N+1 query, a slow hash) shows as a number.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from app import create_app
from app.cli import DEMO_PASSWORD, seed_demo_data
from app.extensions import db
from config import TestingConfig

PAGES = [
    ("home, anonymous", None, "/"),
    ("login page", None, "/login"),
    ("home, volunteer", "volunteer", "/"),
    ("home, admin", "admin", "/"),
    ("accounts list", "admin", "/admin/accounts/"),
    ("organizations list", "admin", "/directory/organizations"),
    ("villages list", "admin", "/directory/villages"),
    ("healthz", None, "/healthz"),
    ("activity list", None, "/activities"),
    ("activity page, anonymous", None, "/a/{code}"),
    ("activity page, volunteer", "volunteer", "/a/{code}"),
    ("my activities", "volunteer", "/me/activities"),
    ("coordinator's activity", "youth-league", "/manage/activities/{id}"),
]
TOKEN = re.compile(r'<input[^>]*name="[\w-]*csrf_token"[^>]*value="([^"]+)"')


def build_app(url: str | None):
    config = TestingConfig()
    config.PASSWORD_HASH_METHOD = "scrypt"  # production's hash, so the login figure is honest
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo_data()
        db.session.commit()
    return app


def login(client, username: str) -> None:
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"identifier": username, "password": DEMO_PASSWORD, "csrf_token": token})


def measure(app, requests: int) -> list[tuple[str, float, float, float]]:
    statements = {"n": 0}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args):
        statements["n"] += 1

    from sqlalchemy import select

    from app.activities.models import Activity

    with app.app_context():
        activity = db.session.scalar(
            select(Activity).join(Activity.organization).where(Activity.title.like("%防溺水%"))
        )
        ids = {"code": activity.code, "id": activity.id}
    results = []
    for name, user, raw_path in PAGES:
        path = raw_path.format(**ids)
        client = app.test_client()
        if user:
            login(client, user)
        client.get(path)  # warm up
        timings = []
        statements["n"] = 0
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        per_request = statements["n"] / requests
        timings.sort()
        results.append((name, statistics.median(timings), timings[int(len(timings) * 0.95) - 1], per_request))

    client = app.test_client()
    timings = []
    for _ in range(max(5, requests // 10)):
        start = time.perf_counter()
        login(client, "volunteer")
        timings.append((time.perf_counter() - start) * 1000)
        client.post("/logout", data={"csrf_token": TOKEN.search(client.get("/").get_data(as_text=True)).group(1)})
    timings.sort()
    results.append(("log in (GET form + POST, scrypt)", statistics.median(timings), timings[-1], float("nan")))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    app = build_app(args.database_url)
    backend = "postgresql" if args.database_url and "postgres" in args.database_url else "sqlite"
    print(f"Shouhu page benchmark on {backend}, {args.requests} requests per page (Flask test client, no network)")
    print(f"{'page':<36} {'median ms':>10} {'p95 ms':>8} {'SQL/request':>12}")
    for name, median, p95, sql in measure(app, args.requests):
        print(f"{name:<36} {median:>10.2f} {p95:>8.2f} {sql:>12.1f}")


if __name__ == "__main__":
    main()
