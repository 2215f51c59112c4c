"""The failed-login throttle (OWASP's device cookies): a returning browser is judged on its own failures only;
any other attempt is slowed per (account, address) and capped per account across all addresses.

Counters are rows of ``login_throttles`` keyed by (account key, source): the address, ``device:<nonce>`` for a
browser holding a device cookie, or ``*`` for the whole account. They are created with INSERT ... ON CONFLICT DO
NOTHING (two first attempts cannot collide), locked with SELECT ... FOR UPDATE before the password is checked
(on SQLite the request's BEGIN IMMEDIATE holds the database's write lock instead) and counted with
``failures = failures + 1``, so concurrent attempts are counted exactly and none slips past a cap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.auth.models import LoginThrottle
from app.extensions import db

ACCOUNT_SOURCE = "*"
DEVICE_PREFIX = "device:"
DEVICE_COOKIE = "shouhu_device"
DEVICE_SALT = "shouhu.login-device"
MAX_DEVICE_ACCOUNTS = 8  # a village office's shared computer may remember several accounts


def device_source(nonce: str) -> str:
    return f"{DEVICE_PREFIX}{nonce}"


# --- the device cookie ----------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def device_cookie_days() -> int:
    return current_app.config["LOGIN_DEVICE_COOKIE_DAYS"]


def read_device_cookie(value: str | None) -> dict[str, str]:
    """The accounts this browser has logged in to, as {account key: nonce}; empty if the cookie is missing,
    forged, expired or malformed (a bad cookie is simply no cookie)."""
    if not value:
        return {}
    try:
        data = _serializer().loads(value, max_age=device_cookie_days() * 86400)
    except (BadSignature, ValueError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= 43}


def write_device_cookie(devices: dict[str, str], account_key: str, nonce: str) -> str:
    """The signed cookie value naming ``account_key`` with its new ``nonce`` (most recent first, a few kept)."""
    kept = {account_key: nonce} | {k: v for k, v in devices.items() if k != account_key}
    return _serializer().dumps(dict(list(kept.items())[:MAX_DEVICE_ACCOUNTS]))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


# --- counters ------------------------------------------------------------------------------------------------


@dataclass
class Block:
    """Why an attempt is refused without checking the password, and until when."""

    reason: str  # wait, locked, account_capped
    until: datetime
    failures: int


def lock_counters(account_key: str, sources: list[str]) -> dict[str, LoginThrottle]:
    """Make sure a counter row exists for each source and lock them all (in a fixed order: no deadlock)."""
    values = [{"identifier": account_key, "ip_address": source, "failures": 0} for source in sources]
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(LoginThrottle).values(values).on_conflict_do_nothing())
    rows = db.session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.identifier == account_key, LoginThrottle.ip_address.in_(sources))
        .order_by(LoginThrottle.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.ip_address: row for row in rows}


def block_for(row: LoginThrottle, now: datetime) -> Block | None:
    """The block a counter puts on the next attempt, if any."""
    if row.blocked_until is None or row.blocked_until <= now:
        return None
    if row.ip_address == ACCOUNT_SOURCE:
        reason = "account_capped"
    elif row.failures >= current_app.config["LOGIN_LOCK_FAILURES"]:
        reason = "locked"
    else:
        reason = "wait"
    return Block(reason, row.blocked_until, row.failures)


def count_failure(row: LoginThrottle, now: datetime) -> int:
    """One more failure on this counter, counted in the database; sets the block it earns. Returns the count.

    An address or a device: past the free tries each failure doubles the wait, then it locks (as before). The
    whole account: failures more than the window apart start the count again; at the cap, untrusted attempts
    stop for the window.
    """
    config = current_app.config
    column = LoginThrottle.failures
    if row.ip_address == ACCOUNT_SOURCE:
        window = timedelta(minutes=config["LOGIN_ACCOUNT_WINDOW_MINUTES"])
        stale = LoginThrottle.last_failure_at.is_(None) | (LoginThrottle.last_failure_at < now - window)
        counted = case((stale, 1), else_=column + 1)
    else:
        counted = column + 1
    failures = db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.id == row.id)
        .values(failures=counted, last_failure_at=now)
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    blocked_until = _blocked_until(row.ip_address, failures, now)
    if blocked_until is not None:
        db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.id == row.id)
            .values(blocked_until=blocked_until)
            .execution_options(synchronize_session=False)
        )
    return failures


def _blocked_until(source: str, failures: int, now: datetime) -> datetime | None:
    config = current_app.config
    if source == ACCOUNT_SOURCE:
        if failures >= config["LOGIN_ACCOUNT_FAILURES"]:
            return now + timedelta(minutes=config["LOGIN_ACCOUNT_WINDOW_MINUTES"])
        return None
    free, lock = config["LOGIN_FREE_FAILURES"], config["LOGIN_LOCK_FAILURES"]
    if failures >= lock:
        return now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    if failures >= free:
        return now + timedelta(seconds=5 * 2 ** (failures - free))
    return None


def clear_counters(rows: list[LoginThrottle]) -> None:
    """A successful login forgets its own address's or device's failures (never the account's: they expire).

    The rows are reset, not deleted, so that an attempt waiting for their lock still finds and counts them;
    ``flask purge`` removes them later.
    """
    for row in rows:
        if row.ip_address != ACCOUNT_SOURCE:  # locked by lock_counters: plain assignments are safe
            row.failures, row.last_failure_at, row.blocked_until = 0, None, None
