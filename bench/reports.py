"""Benchmark the report pages on generated data: ``python -m bench.reports --database-url URL [--generate]``.

Times each report page (median and worst of several requests) through the real app as the county administrator,
and counts its SQL statements.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from sqlalchemy import event

from app import create_app
from app.extensions import db
from config import TestingConfig

PAGES = [
    ("department report, a year", "/reports/departments?year=2025"),
    ("department report, summer vacation", "/reports/departments?period=summer&year=2025"),
    ("department report XLSX", "/reports/departments.xlsx?year=2025"),
    ("summary with charts", "/reports/summary?year=2025"),
    ("compliance R1–R8", "/reports/compliance?year=2025"),
    ("R3 visits over the year", "/reports/visits?year=2025"),
    ("safety coverage", "/reports/safety-coverage?topic=drowning&until=2025-07-01"),
    ("activities behind a number", "/reports/departments/{org}/activities?year=2025"),
    ("town progress reports overview", "/reports/progress?year=2025"),
    ("a town's progress report", "/reports/progress/shuangshipu/2025"),
    ("department report CSV, a year", "/reports/departments.csv?year=2025"),
    ("visit compliance today (R3)", "/children/compliance"),
]
TOKEN = re.compile(r'<input[^>]*name="[\w-]*csrf_token"[^>]*value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = args.database_url
    app = create_app(config)
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"identifier": "admin", "password": "shouhu-demo", "csrf_token": token})
    statements = {"n": 0}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args):
        statements["n"] += 1

    with app.app_context():
        from sqlalchemy import select

        from app.directory.models import Organization

        org = db.session.scalar(select(Organization.id).where(Organization.code == "youth-league"))
    print(f"{'page':<38} {'median ms':>10} {'max ms':>8} {'SQL':>5}")
    for name, path in PAGES:
        path = path.format(org=org)
        assert client.get(path).status_code == 200, path
        timings = []
        statements["n"] = 0
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        print(
            f"{name:<38} {statistics.median(timings):>10.1f} {max(timings):>8.1f} {statements['n'] // args.requests:>5}"
        )


if __name__ == "__main__":
    main()
