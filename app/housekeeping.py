"""What is kept only for a while: expired login sessions, old throttle counters, used sign-in codes and one-tap
links, periodic-job slots, messages older than the inbox keeps. ``flask purge`` and the nightly job run it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from app.audit.services import SYSTEM, record
from app.auth.sessions import purge_login_sessions, purge_login_throttles
from app.childcare.import_jobs import purge_imports
from app.extensions import db
from app.notifications.models import JobRun, SmsCode, UsedLink
from app.notifications.services import purge_messages


def _delete_before(column, moment: datetime) -> int:
    table = column.class_
    return db.session.execute(
        delete(table).where(column < moment).execution_options(synchronize_session=False)
    ).rowcount


def purge(now: datetime) -> dict[str, int]:
    """Delete what is no longer needed; audited as the system. The caller commits."""
    counts = {
        "sessions": purge_login_sessions(now),
        "throttles": purge_login_throttles(now),
        "codes": _delete_before(SmsCode.created_at, now - timedelta(days=2)),
        "links": _delete_before(UsedLink.used_at, now - timedelta(days=60)),
        "job_runs": _delete_before(JobRun.started_at, now - timedelta(days=7)),
        "messages": purge_messages(now),
        "imports": purge_imports(now),
    }
    db.session.flush()
    record(
        "housekeeping.purged", actor=SYSTEM, **{k: v for k, v in counts.items() if k not in ("sessions", "throttles")}
    )
    return counts
