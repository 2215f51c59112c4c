"""Six-digit codes sent by SMS: signing in and registering by phone, the poster's sign-up, a forgotten password and the
staff's second step.

A code is kept only as an HMAC-SHA256 digest keyed with SECRET_KEY, is valid five minutes, works once and dies after
five wrong tries; a new code replaces the older unused ones for the same number and purpose. Sends are limited per
number (all purposes together: it is the number's owner who gets the messages) and per address, counted from the
``SmsCode`` rows under a lock, so two requests at once cannot both slip under a limit. A sign-in code is not an outbox
message: it goes at once through the SMS sender and the page says if it could not.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update

from app.auth.models import User
from app.db_types import utcnow
from app.domain import DomainError
from app.extensions import db
from app.notifications.channels import Outgoing, sender_for
from app.notifications.models import Channel, CodePurpose, SmsCode

CODE_TEMPLATE = "sign_in_code"  # the SMS template key (TENCENT_SMS_TEMPLATES)


class CodeError(DomainError):
    """A code could not be sent (a limit, a number that is not a mainland mobile, the provider failed)."""


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # not this code; the try is counted
    EXPIRED = "expired"  # no live code for the number (never sent, expired, used, replaced)
    DEAD = "dead"  # too many wrong tries on this code


@dataclass(frozen=True)
class SendLimit:
    seconds: int
    count: int
    per: str  # "number" or "address"


def code_digest(phone: str, purpose: CodePurpose, code: str) -> str:
    """The stored form of a code: bound to its number and purpose, useless without the SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def send_limits() -> list[SendLimit]:
    """The configured limits: ``SMS_CODE_LIMITS_PER_NUMBER`` and ``SMS_CODE_LIMITS_PER_ADDRESS``, each a list of
    (seconds, count)."""
    config = current_app.config
    return [SendLimit(s, n, "number") for s, n in config["SMS_CODE_LIMITS_PER_NUMBER"]] + [
        SendLimit(s, n, "address") for s, n in config["SMS_CODE_LIMITS_PER_ADDRESS"]
    ]


def _lock(*keys: str) -> None:
    """Serialise the sends for one number and one address. SQLite: the write lock (BEGIN IMMEDIATE); PostgreSQL:
    transaction-scoped advisory locks, taken in a fixed order (number, then address) so two requests never deadlock."""
    from app.activities.services import begin_write

    begin_write()
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.sha256(f"sms-code:{key}".encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def _refuse_over_limit(phone: str, address: str, now: datetime) -> None:
    for limit in send_limits():
        since = now - timedelta(seconds=limit.seconds)
        column = SmsCode.phone if limit.per == "number" else SmsCode.ip_address
        value = phone if limit.per == "number" else address
        if limit.per == "address" and not address:
            continue
        count, oldest = db.session.execute(
            select(func.count(SmsCode.id), func.min(SmsCode.created_at)).where(
                column == value, SmsCode.created_at > since
            )
        ).one()
        if count < limit.count:
            continue
        wait = max(1, math.ceil((oldest + timedelta(seconds=limit.seconds) - now).total_seconds()))
        if limit.per == "address":
            raise CodeError(
                "address_limit",
                _(
                    "Too many codes were asked for from this network. Please try again in %(n)d minutes.",
                    n=math.ceil(wait / 60),
                ),
            )
        if wait <= 120:
            raise CodeError(
                "number_wait",
                _("A code was just sent. Please wait %(n)d seconds before asking again.", n=wait),
                field="phone",
            )
        raise CodeError(
            "number_limit",
            _("Too many codes were sent to this number. Please try again in %(n)d minutes.", n=math.ceil(wait / 60)),
            field="phone",
        )


def _sms_text(code: str, locale: str) -> str:
    with force_locale(locale):
        return _(
            "Your Shouhu verification code is %(code)s. It is valid for %(n)d minutes. Do not tell it to anyone.",
            code=code,
            n=current_app.config["SMS_CODE_MINUTES"],
        )


def send_code(phone: str, purpose: CodePurpose, ip: str, *, now: datetime | None = None) -> None:
    """Send a new code to ``phone`` for ``purpose``, within the limits; it replaces the older unused ones.

    For a forgotten password the answer is the same whether the number has an account or not: the row is written and
    counted either way, and only a registered number is really sent a message (nobody else could use a code). A
    provider failure raises ``CodeError("send_failed")``: the caller rolls back, so no code is left that nobody got."""
    from app.auth.services import normalise_phone

    now = now or utcnow()
    digits = normalise_phone(phone)
    if digits is None:
        raise CodeError(
            "bad_phone", _("Please enter a valid mainland mobile number (11 digits, starting with 1)."), field="phone"
        )
    ip = (ip or "")[:64]
    _lock(digits, ip)
    _refuse_over_limit(digits, ip, now)
    db.session.execute(
        update(SmsCode)
        .where(SmsCode.phone == digits, SmsCode.purpose == purpose, SmsCode.used_at.is_(None), SmsCode.expires_at > now)
        .values(expires_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = current_app.config["SMS_CODE_MINUTES"]
    db.session.add(
        SmsCode(
            phone=digits,
            purpose=purpose,
            code_hash=code_digest(digits, purpose, code),
            ip_address=ip,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    user = db.session.scalar(select(User).where(User.phone == digits))
    if purpose == CodePurpose.RESET and user is None:
        return
    locale = (user.locale if user is not None and user.locale else None) or str(get_locale() or "zh_Hans_CN")
    result = sender_for(Channel.SMS).send(
        Outgoing(
            address=digits,
            subject="",
            body=_sms_text(code, locale),
            template=CODE_TEMPLATE,
            params=[code],
            locale=locale,
        )
    )
    if not result.ok:
        current_app.logger.warning(
            "sign-in code to %s not sent: %s %s", digits[:3] + "****" + digits[-4:], result.provider, result.error
        )
        raise CodeError("send_failed", _("We could not send the code. Please try again in a minute."))


def check_code(phone: str, purpose: CodePurpose, code: str, *, now: datetime | None = None) -> CodeCheck:
    """Check ``code`` against the live code for ``phone`` and ``purpose``. A right code is used up (``OK``); a wrong
    one counts a try, and the fifth wrong try kills the code. The caller commits either way — a wrong try must count
    even though nothing else happens — and rolls back what the code was for if that fails, which gives the code back."""
    from app.auth.services import normalise_phone

    now = now or utcnow()
    digits = normalise_phone(phone)
    if digits is None:
        return CodeCheck.EXPIRED
    from app.activities.services import begin_write

    begin_write()
    row = db.session.scalar(
        select(SmsCode)
        .where(SmsCode.phone == digits, SmsCode.purpose == purpose, SmsCode.used_at.is_(None), SmsCode.expires_at > now)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        return CodeCheck.EXPIRED
    if row.attempts >= current_app.config["SMS_CODE_ATTEMPTS"]:
        return CodeCheck.DEAD
    typed = "".join((code or "").split())
    if not hmac.compare_digest(row.code_hash, code_digest(digits, purpose, typed)):
        row.attempts += 1
        db.session.flush()
        return CodeCheck.DEAD if row.attempts >= current_app.config["SMS_CODE_ATTEMPTS"] else CodeCheck.WRONG
    row.used_at = now
    db.session.flush()
    return CodeCheck.OK


def code_problem(result: CodeCheck) -> str:
    """What to tell the person about a code that did not work."""
    if result == CodeCheck.WRONG:
        return _("The code is not correct. Please check the SMS and try again.")
    if result == CodeCheck.DEAD:
        return _("Too many wrong tries for this code. Please ask for a new one.")
    return _("The code has expired or was already used. Please ask for a new one.")
