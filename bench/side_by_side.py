"""Issue 14's measurement in one command: the volunteer pages on SQLite and PostgreSQL side by side, then the poster.

``python -m bench.side_by_side [--seconds 15] [--rounds 3] [--bursts 3] [--admin-url postgresql+psycopg://...]``
(``make bench-side``). It writes the busy-summer data set (``bench.generate.busy_summer``: 205 upcoming published
activities with 2–3 shifts each, 1,000 volunteers, some signed up) into a fresh SQLite file and a fresh PostgreSQL
database (created beside ``--admin-url``'s and dropped at the end), serves each with gunicorn (2 sync workers,
``bench.wsgi_bench``), and loads every page with ``wrk -t1 -c16`` in interleaved rounds (round 1: every page on
SQLite, then on PostgreSQL; round 2; ...). It prints, per page and database, the median requests/s and p99 over the
rounds, the share of the same database's one-query baseline (the median of the rounds' ratios), the bytes of the
body and the SQL statements per request (counted in the served app: pre-ping and ``BEGIN`` included), then the
workers' memory, the time from start to the first response, and the poster burst on PostgreSQL ``--bursts`` times
(500 volunteers with ready sessions, one fresh 50-place shift each time). On this shared 2-core machine only the
figures of one run compare with each other.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from bench.load import BURST_CAPACITY, BURST_THREADS, BURST_USERS, ROOT, _shift_counts, burst, free_port, ready_sessions

WORKERS = 2
SUMMER_WEEKS = 8  # busy_summer's default


@dataclass
class Page:
    label: str
    path: str
    cookie: str = ""


@dataclass
class Server:
    name: str  # "SQLite" / "PostgreSQL"
    url: str
    port: int
    app: object = None
    process: subprocess.Popen | None = None
    started_in: float = 0.0
    pages: list[Page] = field(default_factory=list)
    counts: dict[str, dict] = field(default_factory=dict)  # page label -> /bench/statements figures
    runs: dict[str, list[tuple[float, float, int]]] = field(default_factory=dict)  # label -> [(rps, p99, errors)]
    burst: tuple = ()


def wrk(port: int, page: Page, seconds: int, connections: int) -> tuple[float, float, int]:
    """Requests/s, p99 ms and errors (non-2xx/3xx answers and socket errors) of one wrk run."""
    # A 10 s timeout (wrk's default is 2 s) so that a slow page's p99 is its own, not wrk's timeout.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    if page.cookie:
        command += ["-H", f"Cookie: {page.cookie}"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{page.path}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return rps, p99, errors


def settle(port: int) -> None:
    """Wait until the server has worked off what the last wrk run left queued (a slow page's backlog would count
    against the next page): two quick answers in a row."""
    quick, deadline = 0, time.perf_counter() + 60
    while quick < 2 and time.perf_counter() < deadline:
        began = time.perf_counter()
        get(port, "/bench/hello")
        quick = quick + 1 if time.perf_counter() - began < 0.05 else 0


def get(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def prepare(server: Server) -> None:
    """Migrate, write the busy summer, and choose the pages: a three-shift activity a fortnight ahead with some
    places taken, a volunteer signed up for it (a ready session cookie), and a shift of it with places free."""
    from flask_migrate import upgrade

    from app.activities.models import Activity, Shift, Signup, SignupStatus
    from app.extensions import db
    from bench.generate import busy_summer
    from bench.wsgi_bench import create_bench_app

    server.app = app = create_bench_app(server.url, f"http://127.0.0.1:{server.port}", migrations=True)
    with app.test_request_context():
        upgrade()
        written = busy_summer(weeks=SUMMER_WEEKS)
        db.session.commit()
        print(f"{server.name}: busy summer written: {written}", flush=True)
        activities = list(db.session.scalars(select(Activity).order_by(Activity.starts_at, Activity.id)))
        activity = next(
            a
            for a in activities[len(activities) // 4 :]
            if len(a.shifts) == 3
            and all(
                0 < sum(s.status == SignupStatus.CONFIRMED for s in shift.signups) < shift.capacity
                for shift in a.shifts
            )
        )
        shift = activity.shifts[0]
        volunteer_id = db.session.scalar(
            select(Signup.user_id).join(Shift).where(Shift.activity_id == activity.id).order_by(Signup.id)
        )
        ((cookie, _csrf),) = ready_sessions(app, [volunteer_id])
        db.session.commit()
        code, shift_id = activity.code, shift.id
    with app.app_context():
        db.engine.dispose()
    server.pages = [
        Page("one-query baseline", "/bench/one-query"),
        Page("activity page, anonymous", f"/a/{code}"),
        Page("activity list", "/activities"),
        Page("activity page, logged-in volunteer", f"/a/{code}", f"session={cookie}"),
        Page("join page, new visitor", f"/a/{code}/join?shift={shift_id}"),
    ]


def start(server: Server) -> None:
    """Start gunicorn and time it to its first answer of /healthz."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": server.url,
        "BENCH_PUBLIC_URL": f"http://127.0.0.1:{server.port}",
        "BENCH_COUNT_STATEMENTS": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{server.port}"]
    began = time.perf_counter()
    server.process = subprocess.Popen([*command, "--log-level", "warning", "bench.wsgi_bench:app"], cwd=ROOT, env=env)
    while time.perf_counter() - began < 120:
        try:
            if get(server.port, "/healthz")[0] == 200:
                server.started_in = time.perf_counter() - began
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{server.name}: gunicorn did not answer within 120 s")


def count(server: Server) -> None:
    """Each page five times through /bench/statements after the warm-up; the most frequent count is the page's (a
    worker's first use of a new connection skips the pre-ping, a first render may differ). Every answer is a 200."""
    for page in server.pages:
        answers = []
        for _ in range(5):
            status, body = get(server.port, f"/bench/statements?path={quote(page.path, safe='')}", page.cookie)
            answers.append(json.loads(body))
            assert status == 200 and answers[-1]["status"] == 200, (server.name, page.path, answers[-1])
        usual = statistics.mode((a["round_trips"], a["statements"]) for a in answers)
        server.counts[page.label] = next(a for a in answers if (a["round_trips"], a["statements"]) == usual)


def workers_rss(server: Server) -> list[float]:
    """VmRSS (MiB) of each gunicorn worker: the processes whose parent is the master."""
    sizes = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != server.process.pid:
                continue
            status = (proc / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        kib = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        sizes.append(kib / 1024)
    return sorted(sizes)


def new_burst_shift(server: Server, number: int) -> tuple[str, int]:
    """A fresh published activity with one 50-place shift on a day of its own after the summer's activities (no
    volunteer has another shift at that time: an overlap is refused), by the youth league's coordinator."""
    from app.activities.models import ActivityKind
    from app.activities.services import ActivityData, ShiftData, create_activity, publish_activity
    from app.auth.models import User
    from app.db_types import utcnow
    from app.directory.models import Organization
    from app.extensions import db
    from app.timeutils import local_to_utc, to_local

    with server.app.test_request_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "youth-league"))
        by = db.session.scalar(select(User).where(User.organization_id == org.id))
        day = to_local(utcnow()).date() + timedelta(weeks=SUMMER_WEEKS, days=1 + number)  # a day of its own each
        data = ActivityData(
            title=f"海报报名压测 {number}",
            kind=ActivityKind.HOLIDAY_CARE,
            organization=org,
            shifts=[ShiftData(local_to_utc(day, clock(9)), local_to_utc(day, clock(12)), BURST_CAPACITY)],
        )
        (activity,) = create_activity(data, by=by)
        publish_activity(activity, by=by)
        db.session.commit()
        answer = activity.code, activity.shifts[0].id
        db.engine.dispose()
    return answer


def burst_cookies(server: Server) -> list[tuple[str, str]]:
    """Ready sessions for the last 500 of the busy summer's volunteers."""
    from app.auth.models import Role, User
    from app.extensions import db

    with server.app.test_request_context():
        ids = list(
            db.session.scalars(
                select(User.id).where(User.role == Role.VOLUNTEER).order_by(User.id.desc()).limit(BURST_USERS)
            )
        )
        cookies = ready_sessions(server.app, ids)
        db.session.commit()
        db.engine.dispose()
    return cookies


def report(servers: list[Server], args, bursts: list, rss: dict, load: tuple) -> str:
    lines = [
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.rounds} interleaved rounds of `wrk -t1 "
        f"-c{args.connections} -d{args.seconds}s` per page, gunicorn with {WORKERS} sync workers per database; "
        f"load average before {load[0]:.1f}, after {load[1]:.1f} ({os.cpu_count()} cores).",
        "",
        "| page | database | req/s | p99 ms | % of baseline | bytes | statements (round trips on PostgreSQL) "
        "| req/s by round | errors |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for page_index in range(len(servers[0].pages)):
        for server in servers:
            page = server.pages[page_index]
            runs = server.runs[page.label]
            baseline = server.runs[server.pages[0].label]
            share = statistics.median(rps / base[0] for (rps, _p, _e), base in zip(runs, baseline, strict=True))
            figures = server.counts[page.label]
            detail = (
                f"{figures['statements']} ({figures['pings']} ping, {figures['begins']} BEGIN) + {figures['ends']} end"
                if figures["round_trips"] is None
                else f"{figures['round_trips']} = {figures['statements']} + {figures['begins']} BEGIN "
                f"+ {figures['ends']} end"
            )
            lines.append(
                f"| {page.label} | {server.name} | {statistics.median(r[0] for r in runs):,.0f} "
                f"| {statistics.median(r[1] for r in runs):,.1f} | {share:.0%} | {figures['bytes']:,} | {detail} "
                f"| {' / '.join(f'{r[0]:,.0f}' for r in runs)} | {sum(r[2] for r in runs)} |"
            )
    lines += [
        "",
        "Per request, counted in the served app (`/bench/statements`), the most frequent of five warm requests. "
        "SQLite: every statement the page sends through a cursor (its `BEGIN` included) plus the pool's pre-ping "
        '`SELECT 1`; "+ n end" is the COMMITs and ROLLBACKs besides. PostgreSQL: the round trips on the wire, read '
        "from libpq's own trace (`bench/wire.py`): statements + the `BEGIN`s + the COMMITs and ROLLBACKs psycopg "
        "sent.",
        "",
        "| database | worker RSS MiB after the pages | after the bursts | first response after start |",
        "|---|---|---|---:|",
    ]
    for server in servers:
        after = rss.get((server.name, "bursts"))
        lines.append(
            f"| {server.name} | {' / '.join(f'{m:.0f}' for m in rss[(server.name, 'pages')])} "
            f"| {' / '.join(f'{m:.0f}' for m in after) if after else '—'} | {server.started_in:.2f} s |"
        )
    if bursts:
        lines += [
            "",
            f"Poster burst on PostgreSQL: {BURST_USERS} volunteers with ready sessions, one {BURST_CAPACITY}-place "
            f"shift (a fresh one each time), {BURST_THREADS} at a time:",
            "",
            "| burst | sign-ups/s | p99 ms | errors | result |",
            "|---|---:|---:|---:|---|",
        ]
        for number, (rate, p99, errors, counts) in enumerate(bursts, start=1):
            result = f"{counts.get('confirmed', 0)} confirmed / {counts.get('waitlisted', 0)} waitlisted"
            lines.append(f"| {number} | {rate:,.0f} | {p99:,.0f} | {errors} | {result} |")
        rate, p99 = statistics.median(b[0] for b in bursts), statistics.median(b[1] for b in bursts)
        lines.append(f"| median | {rate:,.0f} | {p99:,.0f} | {sum(b[2] for b in bursts)} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=int, default=15, help="per wrk run (default 15)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    load_before = os.getloadavg()[0]
    from bench.scratch import scratch_database

    with scratch_database(args.admin_url, "shouhu_side") as url:
        _run(args, url, load_before)


def _run(args, url: str, load_before: float) -> None:
    """Both servers (SQLite in a temporary folder, PostgreSQL at ``url``): the rounds, the bursts, the report."""
    folder = Path(tempfile.mkdtemp(prefix="shouhu-side-"))
    servers = [
        Server("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}", free_port()),
        Server("PostgreSQL", url, free_port()),
    ]
    rss, bursts = {}, []
    try:
        for server in servers:
            prepare(server)
        postgres = servers[1]
        cookies = burst_cookies(postgres) if args.bursts else []
        for server in servers:
            start(server)
            for page in server.pages:  # warm both workers' caches and pools
                for _ in range(2 * WORKERS):
                    get(server.port, page.path, page.cookie)
            count(server)
        for round_number in range(1, args.rounds + 1):
            for server in servers:
                for page in server.pages:
                    result = wrk(server.port, page, args.seconds, args.connections)
                    server.runs.setdefault(page.label, []).append(result)
                    settle(server.port)
                    print(f"round {round_number} {server.name} {page.label}: {result}", flush=True)
        for server in servers:
            rss[(server.name, "pages")] = workers_rss(server)
        for number in range(1, args.bursts + 1):
            code, shift_id = new_burst_shift(postgres, number)
            rate, p99, errors = burst(postgres.port, code, shift_id, cookies)
            counts = _shift_counts(postgres.url, shift_id)
            bursts.append((rate, p99, errors, counts))
            print(f"burst {number}: {rate:.0f}/s p99 {p99:.0f} ms, {errors} errors, {counts}", flush=True)
        if args.bursts:
            rss[(postgres.name, "bursts")] = workers_rss(postgres)
        print()
        print(report(servers, args, bursts, rss, (load_before, os.getloadavg()[0])))
        expected = {"confirmed": BURST_CAPACITY, "waitlisted": BURST_USERS - BURST_CAPACITY}
        assert all(b[2] == 0 and b[3] == expected for b in bursts), "a burst was not exact"
    finally:
        for server in servers:
            if server.process is not None:
                server.process.terminate()
                server.process.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
