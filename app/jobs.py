"""The job queue (huey): what outlives a request — sending a message, a large import, the reminders and digests.

One ``huey`` instance; ``init_jobs(app)`` gives it the storage ``JOBS_URL`` names: SQLite in the instance folder for
``make run`` (the worker runs inside ``flask serve``), Redis in production (``flask jobs worker`` on one or several
hosts), memory in the tests (which run what is queued with ``run_queued_jobs``).

A job is a caller like a request: it owns its transaction and commits; the services it calls flush. Periodic jobs
are scheduled by every worker's scheduler but run once per time slot (``claim_run``: a unique row per job and slot).
Work queued by a request is enqueued only after the request's transaction commits (``enqueue_after_commit``), so a
job never looks for rows that are not there yet; a job lost between the commit and the queue is picked up by the
periodic sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisExpireStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db_types import utcnow
from app.extensions import db

log = logging.getLogger("shouhu.jobs")

huey = Huey("shouhu", storage_class=MemoryStorage, utc=True)
_state: dict[str, Flask] = {}


def init_jobs(app: Flask) -> None:
    """Point the queue at the storage the app's configuration names; jobs run in this app's context."""
    url = app.config["JOBS_URL"]
    if url.startswith("redis://") or url.startswith("rediss://"):
        storage = RedisExpireStorage("shouhu", url=url, expire_time=3 * 86400)
    elif url.startswith("sqlite:///"):
        storage = SqliteStorage("shouhu", filename=url.removeprefix("sqlite:///"))
    elif url == "memory":
        storage = MemoryStorage("shouhu")
    else:
        raise RuntimeError(f"JOBS_URL must be redis://..., sqlite:///... or memory, not {url!r}")
    if _state.get("url") != url or "app" not in _state:
        huey.storage = storage
    _state.update(app=app, url=url)


def job_app() -> Flask:
    """The app a job runs in: the one whose code queued it when there is one (the tests, ``run-queued``), else the
    app that configured the queue (a worker)."""
    if has_app_context():
        return current_app._get_current_object()
    return _state["app"]


def job(**options) -> Callable:
    """A huey task that runs inside the app's context (``@job()`` like ``@huey.task()``)."""

    def decorator(function: Callable) -> Callable:
        @wraps(function)
        def in_app(*args, **kwargs):
            with job_app().app_context():
                try:
                    return function(*args, **kwargs)
                finally:
                    db.session.remove()

        return huey.task(name=function.__name__, **options)(in_app)

    return decorator


def periodic(schedule: crontab, slot_format: str = "%Y-%m-%dT%H:%M") -> Callable:
    """A periodic job: every worker's scheduler enqueues it, the first to claim the time slot runs it."""

    def decorator(function: Callable) -> Callable:
        @wraps(function)
        def in_app():
            with job_app().app_context():
                try:
                    now = utcnow()
                    if not claim_run(function.__name__, now.strftime(slot_format)):
                        return None
                    db.session.commit()
                    return function(now)
                finally:
                    db.session.remove()

        return huey.periodic_task(schedule, name=function.__name__)(in_app)

    return decorator


def claim_run(name: str, slot: str) -> bool:
    """Insert the (job, slot) row unless another worker did: True for the one worker that runs the job."""
    from app.notifications.models import JobRun

    try:
        with db.session.begin_nested():
            db.session.add(JobRun(name=name, slot=slot))
            db.session.flush()
    except IntegrityError:
        return False
    return True


def enqueue_after_commit(task: Callable, *args) -> None:
    """Queue ``task(*args)`` once the current transaction commits (nothing is queued if it rolls back)."""
    session = db.session()
    session.info.setdefault("jobs_after_commit", []).append((task, args))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the work is not committed until the transaction around it is
    for task, args in session.info.pop("jobs_after_commit", []):
        try:
            task(*args)
        except Exception:  # the queue is down: the periodic sweep sends the outbox rows later
            log.exception("could not queue %s; the periodic sweep will pick it up", getattr(task, "name", task))


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop("jobs_after_commit", None)


def run_queued_jobs(limit: int = 1000) -> int:
    """Run what is queued, in this process (the tests, and ``flask jobs run-queued``); returns how many ran."""
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    return ran
