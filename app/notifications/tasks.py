"""The message jobs: deliver one delivery, and the periodic sweep that sends what is due (after the quiet hours, a
retry's wait, or a queue entry lost between a commit and the queue)."""

from __future__ import annotations

from datetime import datetime

from huey import crontab

from app.db_types import utcnow
from app.extensions import db
from app.jobs import job, periodic
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
