"""The benchmarks' busy-summer data set (bench/generate.py), at small scale: what it writes is what it says."""

from __future__ import annotations

from sqlalchemy import func, select

from app.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from app.auth.models import Role, User
from app.db_types import utcnow
from app.extensions import db
from bench.generate import busy_summer


def test_busy_summer_writes_upcoming_published_activities_with_shifts_and_signups(app):
    with app.app_context():
        written = busy_summer(activities=12, volunteers=60, weeks=2)
        activities = list(db.session.scalars(select(Activity).where(Activity.title.like("%第%期%"))))
        assert written["activities"] == len(activities) == 12
        now = utcnow()
        assert all(a.status == ActivityStatus.PUBLISHED and a.starts_at > now for a in activities)
        per_activity = [len(a.shifts) for a in activities]
        assert set(per_activity) <= {2, 3} and sum(per_activity) == written["shifts"]
        assert written["volunteers"] == 60
        assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.VOLUNTEER)) >= 60
        shift_ids = [s.id for a in activities for s in a.shifts]
        signups = list(db.session.scalars(select(Signup).where(Signup.shift_id.in_(shift_ids))))
        confirmed = [s for s in signups if s.status == SignupStatus.CONFIRMED]
        assert len(confirmed) == written["confirmed"] > 0
        assert len(signups) - len(confirmed) == written["waitlisted"]
        for activity in activities:  # capacity never exceeded; a waitlist only behind a full shift, in queue order
            for shift in activity.shifts:
                taken = [s for s in shift.signups if s.status == SignupStatus.CONFIRMED]
                waiting = [s for s in shift.signups if s.status == SignupStatus.WAITLISTED]
                assert len(taken) <= shift.capacity
                assert not waiting or len(taken) == shift.capacity
                assert all(w.queued_at > max(t.queued_at for t in taken) for w in waiting)


def test_bench_statement_count_includes_the_pre_ping_and_sqlite_begin(tmp_path):
    """/bench/statements counts what the driver sends: the pre-ping (no statement event sees it) and BEGIN."""
    import json

    from bench.wsgi_bench import create_bench_app

    bench_app = create_bench_app(f"sqlite:///{tmp_path / 'bench.sqlite3'}", statements=True)
    with bench_app.app_context():
        db.create_all()
        engine = db.engine
        engine.dispose()  # the first request gets a brand-new connection, which the pool does not ping
    real_pings = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: real_pings.append(1) or ping(connection)  # the driver's own count
    client = bench_app.test_client()
    answers = []
    for _ in range(3):
        before = len(real_pings)
        answers.append(json.loads(client.get("/bench/statements?path=/bench/one-query").data))
        assert answers[-1]["pings"] == len(real_pings) - before
    first, *_, warm = answers
    assert first["status"] == warm["status"] == 200 and warm["bytes"] > 0
    assert first["pings"] == 0
    pings = 1 if engine.pool._pre_ping else 0  # the app pings no more (app/dbcheck.py): nothing to count then
    assert warm == {**warm, "statements": 2 + pings, "begins": 1, "pings": pings, "ends": 1, "round_trips": None}
    engine.dispose()
