"""Load benchmark: gunicorn (2 workers) on PostgreSQL, wrk from a second process, and a QR-poster sign-up burst.

Usage: ``python -m bench.load [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]``. It creates and drops
its own database beside the one named, and prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import time as clock
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
BURST_USERS, BURST_CAPACITY, BURST_THREADS = 500, 50, 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) at 16 connections."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert non2xx is None, f"{url}: {non2xx.group(0)}"
    return rps, p99


def ready_sessions(app, user_ids: list[int]) -> list[tuple[str, str]]:
    """A logged-in browser for each user, as the login page leaves one: a session row (flushed, not committed) and
    its signed session cookie, with the CSRF token a form of that browser carries. Returns (cookie, token) pairs."""
    from itsdangerous import URLSafeTimedSerializer

    from app.auth.models import UserSession, hash_token
    from app.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    csrf_signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    cookies = []
    for user_id in user_ids:
        token, raw_csrf = secrets.token_urlsafe(32), secrets.token_hex(20)
        db.session.add(UserSession(user_id=user_id, token_hash=hash_token(token)))
        cookie = serializer.dumps({"_user_id": token, "_fresh": True, "csrf_token": raw_csrf})
        cookies.append((cookie, csrf_signer.dumps(raw_csrf)))
    db.session.flush()
    return cookies


def prepare(url: str, public_url: str):
    """Migrate, seed the demo, and make the burst's shift and volunteers with ready session cookies."""
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["BENCH_PUBLIC_URL"] = public_url
    from flask_migrate import upgrade

    from app.activities.models import Activity, ActivityKind
    from app.activities.services import ActivityData, ShiftData, create_activity, publish_activity
    from app.auth.codes import send_code
    from app.auth.models import Role, User
    from app.cli import seed_demo_data
    from app.db_types import utcnow
    from app.directory.models import Organization
    from app.extensions import db
    from app.notifications.channels import DEV_SENT
    from app.notifications.models import CodePurpose
    from app.timeutils import local_to_utc, to_local
    from bench.wsgi_bench import create_bench_app

    app = create_bench_app(url, public_url, migrations=True)
    with app.test_request_context():
        upgrade()
        seed_demo_data()
        page_code = db.session.scalar(select(Activity.code).order_by(Activity.id))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        day = to_local(utcnow()).date() + timedelta(days=5)
        org = db.session.scalar(select(Organization).where(Organization.code == "youth-league"))
        data = ActivityData(
            title="海报报名压测",
            kind=ActivityKind.HOLIDAY_CARE,
            organization=org,
            shifts=[ShiftData(local_to_utc(day, clock(9)), local_to_utc(day, clock(12)), BURST_CAPACITY)],
        )
        (burst,) = create_activity(data, by=admin)
        publish_activity(burst, by=admin)
        data.title = "海报报名压测（新志愿者）"
        (fresh,) = create_activity(data, by=admin)
        publish_activity(fresh, by=admin)
        users = [
            User(role=Role.VOLUNTEER, name=f"压测{i}", phone=f"135{i:08d}", password_hash="!")
            for i in range(BURST_USERS)
        ]
        db.session.add_all(users)
        db.session.flush()
        cookies = ready_sessions(app, [user.id for user in users])
        db.session.commit()
        newcomers = []
        for i in range(BURST_USERS):  # each has asked for a code on the join screen (the development sender)
            phone = f"137{i:08d}"
            send_code(phone, CodePurpose.JOIN, f"10.1.{i // 200}.{i % 200}")
            db.session.commit()
            newcomers.append((phone, DEV_SENT[-1].params[0]))
        return page_code, burst.code, burst.shifts[0].id, cookies, (fresh.code, fresh.shifts[0].id, newcomers)


def _run_burst(items: list, one) -> tuple[float, float, int]:
    """``one(item)`` for every item, BURST_THREADS at a time; each returns (ms, status). Returns sign-ups/s over the
    whole burst, the p99 ms and the number of answers other than the redirect a successful sign-up gets."""
    start = time.perf_counter()
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        results = list(pool.map(one, items))
    elapsed = time.perf_counter() - start
    latencies = sorted(r[0] for r in results)
    errors = sum(1 for r in results if r[1] != 302)
    return len(results) / elapsed, latencies[int(len(latencies) * 0.99) - 1], errors


def burst(port: int, code: str, shift_id: int, cookies: list) -> tuple[float, float, int]:
    """All volunteers tap "sign up" within seconds; returns sign-ups/s, p99 ms and the number of errors."""

    def one(item) -> tuple[float, int]:
        cookie, csrf = item
        body = f"shift_id={shift_id}&csrf_token={csrf}"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        connection.request(
            "POST",
            f"/a/{code}/signup",
            body=body,
            headers={"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        status = connection.getresponse().status
        connection.close()
        return (time.perf_counter() - start) * 1000, status

    return _run_burst(cookies, one)


def burst_new(port: int, code: str, shift_id: int, newcomers: list) -> tuple[float, float, int]:
    """New volunteers from the poster, all within seconds: the join screen (GET), then name, number and the SMS code
    (POST: registers without a password and signs up). Returns sign-ups/s, the POST's p99 ms and the errors."""

    def one(item) -> tuple[float, int]:
        phone, sms_code = item
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", f"/a/{code}/join?shift={shift_id}")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        csrf = re.search(r'name="join-csrf_token"[^>]*value="([^"]+)"', page).group(1)
        fields = {
            "join-csrf_token": csrf,
            "join-shift_id": shift_id,
            "join-name": "扫码志愿者",
            "join-phone": phone,
            "join-organization_id": "0",
            "join-consent": "y",
            "join-code": sms_code,
            "code_sent": "1",
        }
        body = urlencode(fields)
        start = time.perf_counter()
        connection.request(
            "POST",
            f"/a/{code}/join",
            body=body,
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        status = connection.getresponse().status
        connection.close()
        return (time.perf_counter() - start) * 1000, status

    return _run_burst(newcomers, one)


def _shift_counts(url: str, shift_id: int) -> dict:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                text("SELECT status, count(*) FROM signups WHERE shift_id = :s GROUP BY status"), {"s": shift_id}
            ).all()
        )
    engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    from bench.scratch import scratch_database

    with scratch_database(args.admin_url, "shouhu_bench") as url:
        _run(url, args.seconds)


def _run(url: str, seconds: int) -> None:
    """The pages with wrk, then both bursts, on gunicorn over the database at ``url``."""
    port = free_port()
    server = None
    try:
        page_code, burst_code, shift_id, cookies, (new_code, new_shift_id, newcomers) = prepare(
            url, f"http://127.0.0.1:{port}"
        )
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "bench.wsgi_bench:app",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        rows = []
        for label, path in [
            ("bare Flask hello", "/bench/hello"),
            ("one query + small template", "/bench/one-query"),
            ("public activity page", f"/a/{page_code}"),
            ("activity list", "/activities"),
        ]:
            rps, p99 = wrk(f"http://127.0.0.1:{port}{path}", seconds)
            rows.append((label, rps, p99))
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", f"/a/{page_code}")
        page_bytes = len(connection.getresponse().read())
        css_bytes = (ROOT / "app/static/css/shouhu.css").stat().st_size
        rate, p99, errors = burst(port, burst_code, shift_id, cookies)
        counts = _shift_counts(url, shift_id)
        new_rate, new_p99, new_errors = burst_new(port, new_code, new_shift_id, newcomers)
        new_counts = _shift_counts(url, new_shift_id)
        print("| page | requests/s | p99 ms | vs one-query baseline |")
        print("|---|---:|---:|---:|")
        baseline = rows[1][1]
        for label, rps, p in rows:
            print(f"| {label} | {rps:,.0f} | {p:.1f} | {rps / baseline:.0%} |")
        print(
            f"\nActivity page: {page_bytes:,} bytes of HTML + {css_bytes:,} bytes CSS = {page_bytes + css_bytes:,} "
            "bytes before compression; no script."
        )
        print(
            f"Burst: {BURST_USERS} volunteers, {BURST_CAPACITY} places, {BURST_THREADS} at a time: "
            f"{rate:,.0f} sign-ups/s, p99 {p99:.0f} ms, {errors} errors, result {counts}"
        )
        print(
            f"Burst of new volunteers (join screen, then name + number + SMS code; no password, no hash): "
            f"{BURST_USERS} people, {BURST_CAPACITY} places, {BURST_THREADS} at a time: {new_rate:,.0f} sign-ups/s, "
            f"p99 {new_p99:.0f} ms (the POST), {new_errors} errors, result {new_counts}"
        )
        expected = {"confirmed": BURST_CAPACITY, "waitlisted": BURST_USERS - BURST_CAPACITY}
        assert errors == 0 and counts == expected
        assert new_errors == 0 and new_counts == expected
    finally:
        if server is not None:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
