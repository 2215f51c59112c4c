"""Exactly once with two workers: two ``flask jobs worker`` processes on Redis and PostgreSQL, every delivery queued
twice (as after a retry or a second host's sweep), the reminder scan queued twice and the periodic sweep scheduled by
both; the SMS provider (a local server answering as Tencent Cloud's SendSms does) receives each message once.

Needs PostgreSQL (TEST_DATABASE_URL) and Redis (127.0.0.1:6379, or TEST_REDIS_URL); in CI both must be there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.activities.services import sign_up
from app.auth.models import User
from app.db_types import utcnow
from app.directory.reference import load_reference_data
from app.extensions import db
from app.jobs import huey
from app.notifications.models import Delivery, DeliveryStatus, JobRun
from app.notifications.tasks import deliver, send_reminders
from tests.conftest import PG_URL, create_postgres_database, make_test_config
from tests.factories import Factory
from tests.test_notifications_sms import FakeTencent, tencent  # noqa: F401 - the provider fixture

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
VOLUNTEERS = 30
REMINDED = 5  # volunteers who also get a day-before reminder
ROOT = Path(__file__).resolve().parent.parent


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"CI must run the two-worker test, but Redis does not answer at {REDIS_URL}")
        pytest.skip("needs Redis")
    return client


def _seed(app) -> list[int]:
    """30 volunteers signed up for a 20-place shift in the morning: 20 confirmed, 10 waitlisted; one message each."""
    make = Factory(app)
    shift_id, user_ids = make.shift_with_volunteers(VOLUNTEERS, 20, title="两个工作进程")
    # Five of them also have a shift tomorrow at this hour: the day-before reminder is due for it.
    soon = utcnow() + timedelta(hours=24)
    tomorrow = make.activity(shifts=[(soon, soon + timedelta(hours=2), 10)], town=None, title="明天的班次")
    with app.test_request_context():
        for user_id in user_ids:
            sign_up(shift_id, db.session.get(User, user_id))
            db.session.commit()
        for user_id in user_ids[:REMINDED]:
            sign_up(tomorrow.shifts[0].id, db.session.get(User, user_id))
            db.session.commit()
        return list(db.session.scalars(select(Delivery.id)))


def _worker(url: str, provider: FakeTencent, name: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "SHOUHU_ENV": "development",
        "DATABASE_URL": url,
        "JOBS_URL": REDIS_URL,
        "SECRET_KEY": "two-workers-test-secret-key-0123456789",
        "SMS_BACKEND": "tencent",
        "TENCENT_SECRET_ID": "AKIDtest",
        "TENCENT_SECRET_KEY": "secret",
        "TENCENT_SMS_APP_ID": "1400006666",
        "TENCENT_SMS_SIGN_NAME": "守护志愿",
        "TENCENT_SMS_ENDPOINT": provider.url,
        "TENCENT_SMS_TEMPLATES": json.dumps({"signup_confirmed": "1100001", "shift_reminder": "1100002"}),
        "SHOUHU_INSTANCE_DIR": str(ROOT / "instance" / name),
        "QUIET_HOURS": "0-0",  # whatever the hour the test runs at
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "3"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_two_workers_on_redis_and_postgresql_send_every_message_exactly_once(tencent, tmp_path):  # noqa: F811
    provider = tencent
    redis_client = _redis_or_skip()
    redis_client.flushdb()
    url, drop = create_postgres_database("shouhu_workers")
    app = create_app(make_test_config(url))
    workers, logs = [], []
    saved_storage = huey.storage
    try:
        with app.app_context():
            upgrade()
            load_reference_data()
            db.session.commit()
        delivery_ids = _seed(app)
        assert len(delivery_ids) == VOLUNTEERS + REMINDED
        from huey.storage import RedisExpireStorage

        huey.storage = RedisExpireStorage("shouhu", url=REDIS_URL)
        for delivery_id in delivery_ids * 2:  # every delivery queued twice
            deliver(delivery_id)
        send_reminders()  # the reminder scan queued twice (as by two schedulers)
        send_reminders()
        logs = [(tmp_path / f"worker-{n}.log").open("wb") for n in (1, 2)]
        workers = [_worker(url, provider, f"worker-{n}", log) for n, log in zip((1, 2), logs, strict=True)]
        deadline = time.monotonic() + 150  # a loaded CI machine is slow; a pass ends as soon as all is sent
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.remove()
                sent = db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.SENT))
                if sent == VOLUNTEERS + 2 * REMINDED and huey.pending_count() == 0:
                    break
                assert all(w.poll() is None for w in workers), _logs(tmp_path)
                time.sleep(0.3)
            time.sleep(1)  # anything a second worker would still send arrives by now
            # One message: a number, a template and its variables (the activity's title among them).
            sent = Counter(
                (r["body"]["PhoneNumberSet"][0], r["body"]["TemplateId"], tuple(r["body"]["TemplateParamSet"]))
                for r in provider.requests
            )
            confirmations = [phone for phone, template, _vars in sent if template == "1100001"]
            reminders = [phone for phone, template, _vars in sent if template == "1100002"]
            assert len(confirmations) == VOLUNTEERS + REMINDED, "every volunteer got each confirmation"
            assert sorted(reminders) == [f"+86139{i:08d}" for i in range(REMINDED)], "the reminders, to those due"
            assert set(sent.values()) == {1}, f"sent twice: {[p for p, n in sent.items() if n > 1]}"
            attempts = db.session.scalars(select(Delivery.attempts)).all()
            assert attempts == [1] * (VOLUNTEERS + 2 * REMINDED)
            # Both workers' schedulers enqueued the periodic sweep; it ran once per minute slot.
            runs = db.session.scalars(select(JobRun.slot).where(JobRun.name == "send_due_messages")).all()
            assert runs and len(runs) == len(set(runs))
    finally:
        huey.storage = saved_storage
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for log in logs:
            log.close()
        with app.app_context():
            db.engine.dispose()
        drop()
        redis_client.flushdb()


def _logs(folder: Path) -> str:
    return "a worker stopped:\n" + "\n".join(p.read_text(errors="replace")[-3000:] for p in folder.glob("*.log"))
