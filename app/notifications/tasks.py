"""The message jobs: deliver one delivery, the periodic sweep that sends what is due (after the quiet hours, a
retry's wait, or a queue entry lost between a commit and the queue), and the periodic reminders and digests (their
scans are in ``app.notifications.schedule``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from huey import crontab

from app.db_types import utcnow
from app.extensions import db
from app.jobs import job, periodic
from app.notifications import schedule
from app.notifications.services import claim_delivery, due_deliveries, fail_stale_sending, send_delivery


def deliver_now(delivery_id: int, now: datetime | None = None) -> str | None:
    """Claim and send one delivery; the claim is committed first, so no other worker sends it meanwhile."""
    now = now or utcnow()
    delivery = claim_delivery(delivery_id, now)
    db.session.commit()
    if delivery is None:
        return None  # not due, or another worker has it, or it is done
    status = send_delivery(delivery, now)
    db.session.commit()
    return str(status)


@job(retries=2, retry_delay=30)
def deliver(delivery_id: int) -> str | None:
    return deliver_now(delivery_id)


@periodic(crontab(minute="*"))
def send_due_messages(now: datetime) -> int:
    fail_stale_sending(now)
    db.session.commit()
    sent = 0
    for delivery_id in due_deliveries(now):
        sent += deliver_now(delivery_id, now) is not None
    return sent


@periodic(crontab(hour="19", minute="30"), slot_format="%Y-%m-%d")  # 03:30 Beijing time
def purge_nightly(now: datetime) -> dict[str, int]:
    from app.housekeeping import purge

    counts = purge(now)
    db.session.commit()
    return counts


# --- reminders and digests (crontab in UTC: Beijing is UTC+8) -----------------------------------------------------


def _run_scan(scan) -> Callable[[datetime], int]:
    def run(now: datetime) -> int:
        created = scan(now)
        db.session.commit()
        return created

    return run


@periodic(crontab(minute="*/5"))
def send_reminders(now: datetime) -> int:
    return _run_scan(schedule.scan_reminders)(now)


@periodic(crontab(hour="10", minute="0"), slot_format="%Y-%m-%d")  # 18:00 Beijing time
def send_shifts_tomorrow(now: datetime) -> int:
    return _run_scan(schedule.scan_shifts_tomorrow)(now)


@periodic(crontab(hour="1", minute="0"), slot_format="%Y-%m-%d")  # 09:00 Beijing time
def send_daily_staff_notices(now: datetime) -> int:
    return sum(
        _run_scan(scan)(now)
        for scan in (
            schedule.scan_activities_to_close,
            schedule.scan_screenings_expiring,
            schedule.scan_escalated,
            schedule.scan_progress_reports,
        )
    )


@periodic(crontab(day_of_week="1", hour="0", minute="0"), slot_format="%Y-%m-%d")  # Monday 08:00 Beijing time
def send_visits_digest(now: datetime) -> int:
    return _run_scan(schedule.scan_visits_digest)(now)
