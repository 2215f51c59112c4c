"""Login sessions kept in the database, so that one can be ended from anywhere.

The browser holds a random token (in the signed session cookie and, with "remember me", the remember cookie);
the database keeps only its digest. Logging out, changing the password and deactivation revoke rows, which
logs those browsers out at their next request even if an old cookie is replayed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, func, select, update

from app.audit.services import SYSTEM, client_address, record
from app.auth.models import LoginThrottle, User, UserSession, hash_token
from app.db_types import utcnow
from app.extensions import db


@cache
def _login_statement():
    """The account behind a session token, with its unread messages: built once, since every logged-in request
    runs it and building it cost more than running it."""
    from app.notifications.models import Message

    unread = (
        select(func.count(Message.id))
        .where(Message.recipient_id == User.id, Message.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(User, unread)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.created_at >= bindparam("oldest", type_=UserSession.created_at.type),
            User.is_active.is_(True),
        )
    )


def load_user_from_session(token: str) -> User | None:
    """Flask-Login's user loader: the active account behind a live, unexpired session token, or None; with it, for
    the page header, the account's unread messages. One statement: every logged-in request runs it."""
    oldest = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    row = db.session.execute(_login_statement(), {"token_hash": hash_token(token), "oldest": oldest}).first()
    if row is None:
        return None
    user, user.unread_count = row
    user.session_token = token
    return user


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on a brand-new session: nothing from before the login survives (no session fixation)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            ip_address=client_address(),
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    user.session_token = token
    user.last_login_at = utcnow()
    login_user(user, remember=remember)


def end_session(user: User) -> None:
    """Log the current browser out and revoke its session row."""
    if user.session_token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(user.session_token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    language = session.get("lang")
    session.clear()
    logout_user()  # after clear(): it leaves the flag that deletes the remember-me cookie
    if language:
        session["lang"] = language


def revoke_sessions(user: User, *, except_token: str | None = None) -> int:
    """Revoke every live session of ``user`` (but the one holding ``except_token``); returns how many."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(UserSession.token_hash != hash_token(except_token))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


# --- housekeeping (``flask purge``) ---------------------------------------------------------------------------


def purge_login_sessions(now: datetime | None = None) -> int:
    """Delete the login sessions that can never be used again: revoked ones, and ones older than the remember
    cookie's lifetime (``load_user_from_session`` refuses them already). Audited as the system, with the count;
    returns the count. The caller commits."""
    now = now or utcnow()
    expired_before = now - current_app.config["REMEMBER_COOKIE_DURATION"]
    count = db.session.execute(
        delete(UserSession).where(UserSession.revoked_at.is_not(None) | (UserSession.created_at < expired_before))
    ).rowcount
    db.session.flush()
    record("auth.sessions_purged", actor=SYSTEM, count=count)
    return count


def throttle_retention() -> timedelta:
    """How long a failed-login counter matters: the longest window or block of the throttle, and at least a day."""
    config = current_app.config
    minutes = max(
        config.get("LOGIN_LOCK_MINUTES", 0),
        config.get("LOGIN_ACCOUNT_WINDOW_MINUTES", 0),
    )
    return max(timedelta(days=1), timedelta(minutes=minutes))


def purge_login_throttles(now: datetime | None = None) -> int:
    """Delete the failed-login counters whose last failure is older than ``throttle_retention()`` (or that never
    counted one) and that block nothing any more. Audited as the system, with the count; returns the count. The
    caller commits."""
    now = now or utcnow()
    stale_before = now - throttle_retention()
    count = db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at.is_(None) | (LoginThrottle.last_failure_at < stale_before),
            LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until < now),
        )
    ).rowcount
    db.session.flush()
    record("auth.throttles_purged", actor=SYSTEM, count=count)
    return count
