"""One-tap answers to a shift reminder: "I'll come" and "I can't come", as signed links that need no login.

A link carries the sign-up, the action and the moment the sign-up was made (a sign-up cancelled and made again is a
new one: the old links do not act on it), signed with the app's secret. It works until the shift starts, and once:
its SHA-256 is stored in ``UsedLink`` when it has done its work. Opening it changes nothing; the page it opens has
one button that does it (a POST with a CSRF token).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.activities.models import Signup, SignupStatus
from app.activities.services import cancel_signup
from app.audit.services import record
from app.db_types import utcnow
from app.domain import DomainError
from app.extensions import db
from app.notifications.models import UsedLink

SALT = "shouhu.reminder-answer"
COME, CANCEL = "come", "cancel"
ACTIONS = (COME, CANCEL)
MAX_AGE = 40 * 86400  # a backstop: every link expires when its shift starts, long before


class LinkError(DomainError):
    """A link that cannot be used: ``status`` is the HTTP status its page answers with."""

    def __init__(self, code: str, message: str, status: int = 410) -> None:
        super().__init__(code, message)
        self.status = status


@dataclass
class Answer:
    signup: Signup
    action: str
    token: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def answer_path(signup: Signup, action: str) -> str:
    """The site path of ``action``'s one-tap link for this sign-up (``/r/...``)."""
    token = _serializer().dumps({"s": signup.id, "a": action, "q": signup.queued_at.isoformat()})
    return f"/r/{token}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_answer(token: str, now: datetime | None = None) -> Answer:
    """What a link asks for, if it still may: raises ``LinkError`` (tampered, expired, used, cancelled)."""
    now = now or utcnow()
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
        signup_id, action, queued = int(data["s"]), data["a"], data["q"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("bad_link", _("This link is not valid. Please open “My activities” instead."), 400) from None
    signup = db.session.get(Signup, signup_id)
    if signup is None or action not in ACTIONS or signup.queued_at.isoformat() != queued:
        raise LinkError("gone", _("This sign-up no longer exists. Please open “My activities” instead."))
    if db.session.scalar(select(UsedLink.id).where(UsedLink.token_hash == _digest(token))) is not None:
        raise LinkError("used", _("This link has already been used."))
    if signup.status == SignupStatus.CANCELLED:
        raise LinkError("cancelled", _("This sign-up has been cancelled already."))
    if signup.shift.activity.is_cancelled:
        raise LinkError("activity_cancelled", _("This activity has been cancelled: you need not come."))
    if signup.shift.starts_at <= now:
        raise LinkError("expired", _("This link has expired: the shift has started."))
    return Answer(signup, action, token)


def use_answer(token: str, now: datetime | None = None) -> Answer:
    """Do what the link says, once: "I'll come" notes the confirmation, "I can't come" cancels the sign-up (the
    first on the waitlist moves up and is told)."""
    now = now or utcnow()
    answer = read_answer(token, now)
    try:
        with db.session.begin_nested():
            db.session.add(UsedLink(token_hash=_digest(token), used_at=now))
            db.session.flush()
    except IntegrityError:  # the same link, tapped twice at once
        raise LinkError("used", _("This link has already been used.")) from None
    signup = answer.signup
    if answer.action == CANCEL:
        cancel_signup(signup, by=signup.user, now=now)
    else:
        signup.coming_confirmed_at = now
        db.session.flush()
        record("signup.coming_confirmed", signup, actor=signup.user, shift=signup.shift_id)
    return answer
