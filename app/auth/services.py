"""Account rules: who can log in, the failed-login throttle, registration and passwords."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record
from app.auth.models import Role, User
from app.auth.sessions import end_session, revoke_sessions
from app.auth.throttle import (
    ACCOUNT_SOURCE,
    block_for,
    clear_counters,
    count_failure,
    device_source,
    lock_counters,
    new_nonce,
)
from app.db_types import utcnow
from app.directory.models import Organization, Town, Village
from app.domain import DomainError
from app.extensions import db

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "qwerty123",
    "11111111",
    "88888888",
    "abc12345",
    "a1234567",
    "shouhu123",
    "iloveyou1",
    "woaini1314",
    "qq123456",
    "aa123456",
    "admin123",
}
MIN_PASSWORD_LENGTH = 8


class AccountError(DomainError):
    """A rule about accounts was broken; ``message`` is ready to show, ``code`` is for tests and logs."""


def normalise_phone(raw: str | None) -> str | None:
    """A mainland mobile number as 11 digits, accepting spaces, dashes and a +86 prefix; None if it is not one."""
    if not raw:
        return None
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if PHONE_RE.match(digits) else None


def normalise_identifier(raw: str) -> str:
    """What a person typed in the login box, as the key the throttle and the lookup use."""
    raw = (raw or "").strip()
    return normalise_phone(raw) or raw.lower()[:64]


def password_problem(password: str, *, phone: str | None = None, username: str | None = None) -> str | None:
    """Why ``password`` is too weak, in the user's language, or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("The password must contain both letters and digits.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return _("This password is too easy to guess. Please choose another one.")
    if (phone and phone in password) or (username and username.lower() in lowered):
        return _("The password must not contain your phone number or username.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_account(identifier: str) -> User | None:
    """The account whose mobile number or username (any case) is ``identifier``."""
    key = normalise_identifier(identifier)
    if not key:
        return None
    if PHONE_RE.match(key):
        return db.session.scalar(select(User).where(User.phone == key))
    return db.session.scalar(select(User).where(func.lower(User.username) == key))


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None  # bad_credentials, inactive, wait, locked, account_capped
    wait_seconds: int = 0
    retry_at: datetime | None = None
    device_nonce: str | None = None  # on success: the nonce of this browser's new device cookie
    account_key: str = ""


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the account does not exist, so that a wrong name takes as long as a wrong password:
    made with the method real hashes use, at the first failed login (not at import: a worker's start would pay
    for it, and scrypt's 32 MiB of working memory)."""
    return generate_password_hash("not-a-real-password-0", method=method)


def authenticate(
    identifier: str,
    password: str,
    address: str,
    now: datetime | None = None,
    *,
    devices: dict[str, str] | None = None,
) -> LoginResult:
    """Check a login attempt against the throttle, then the password.

    ``devices`` is what this browser's device cookie names ({account key: nonce}). With a nonce for this account
    the attempt is judged on that device's own failures only, so nobody else's guesses lock the owner out.
    Without one it is judged per (account, address) and per account across all addresses. While a counter
    blocks, the password is not even checked (no oracle). Every attempt is written to the audit log.
    """
    now = now or utcnow()
    key = normalise_identifier(identifier)
    user = find_account(key)
    # One key per account whichever name was typed, so a phone number and a username share one cap.
    account_key = normalise_identifier(user.login_name) if user is not None else key
    nonce = (devices or {}).get(account_key)
    sources = [device_source(nonce)] if nonce else [ACCOUNT_SOURCE, address]
    counters = lock_counters(account_key, sources)
    blocks = [block for row in counters.values() if (block := block_for(row, now)) is not None]
    if blocks:
        block = max(blocks, key=lambda b: b.until)
        seconds = math.ceil((block.until - now).total_seconds())
        record(
            "auth.login_refused",
            actor=None,
            identifier=key,
            reason=block.reason,
            wait_seconds=seconds,
            trusted_device=bool(nonce),
        )
        return LoginResult(None, block.reason, seconds, retry_at=block.until, account_key=account_key)

    # No account, or one that signs in only by SMS code: the same answer and the same time as a wrong password.
    if user is None or not user.has_password:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    if user is None or not user.has_password or not check_password_hash(user.password_hash, password):
        failures = [count_failure(row, now) for row in counters.values()]
        record(
            "auth.login_failed",
            user,
            actor=user,
            identifier=key,
            reason="bad_credentials",
            failures=max(failures, default=0),
            trusted_device=bool(nonce),
        )
        return LoginResult(None, "bad_credentials", account_key=account_key)
    if not user.is_active:
        record("auth.login_failed", user, actor=user, identifier=key, reason="inactive")
        return LoginResult(None, "inactive", account_key=account_key)
    clear_counters(list(counters.values()))
    record("auth.login", user, actor=user, trusted_device=bool(nonce))
    return LoginResult(user, device_nonce=new_nonce(), account_key=account_key)


def remember_locale(user: User, locale: str) -> None:
    """Keep a language choice on the account (not audited: it is the reader's preference, not a record)."""
    user.locale = locale
    db.session.flush()


def update_profile(user: User, *, name: str, locale: str, by: User) -> list[str]:
    """Change one's own name and language. The audit entry names the fields that changed, not their values: a
    deleted account must leave no name behind in the log. Returns the changed fields."""
    name = (name or "").strip()
    if not name:
        raise AccountError("name_required", _("Please enter your name."), field="name")
    if locale not in current_app.config["LANGUAGES"]:
        raise AccountError("bad_locale", _("Please choose a language from the list."), field="locale")
    changed = [field for field, value in (("name", name), ("locale", locale)) if getattr(user, field) != value]
    user.name, user.locale = name, locale
    db.session.flush()
    if changed:
        record("account.profile_updated", user, actor=by, fields=changed)
    return changed


def log_out(user: User) -> None:
    """End the current browser's session (its row is revoked, so a replayed cookie no longer works)."""
    record("auth.logout", user, actor=user)
    end_session(user)
    db.session.flush()


def renew_calendar_address(user: User) -> bool:
    """Give the account a new secret calendar address; the old one (if any) stops working at once. Done only on
    the volunteer's request (a POST), never by opening a page. Returns whether an old address was replaced."""
    replaced = user.calendar_token is not None
    user.calendar_token = secrets.token_urlsafe(24)
    db.session.flush()
    record("account.calendar_address_renewed" if replaced else "account.calendar_address_created", user, actor=user)
    return replaced


def register_volunteer(
    *,
    name: str,
    phone: str,
    password: str | None = None,
    organization: Organization | None = None,
    locale: str | None = None,
) -> User:
    """Create a self-registered volunteer who has consented to the privacy notice. The phone must be free. Without a
    password (a volunteer who proved the number with an SMS code) the account signs in by code until they set one."""
    phone_digits = normalise_phone(phone)
    if phone_digits is None:
        raise AccountError(
            "bad_phone", _("Please enter a valid mainland mobile number (11 digits, starting with 1)."), field="phone"
        )
    if db.session.scalar(select(User.id).where(User.phone == phone_digits)) is not None:
        raise AccountError(
            "phone_taken", _("This mobile number is already registered. Please log in instead."), field="phone"
        )
    problem = password_problem(password, phone=phone_digits) if password is not None else None
    if problem:
        raise AccountError("weak_password", problem, field="password")
    if not (name or "").strip():
        raise AccountError("name_required", _("Please enter your name."), field="name")
    user = User(
        name=name.strip(),
        phone=phone_digits,
        password_hash=hash_password(password) if password is not None else "",
        role=Role.VOLUNTEER,
        organization=organization,
        locale=locale,
        privacy_consent_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    record("account.registered", user, actor=user)
    return user


def change_password(user: User, current_password: str | None, new_password: str) -> None:
    """Change one's own password (or set a first one, for a volunteer who signed up by SMS code: then there is no
    current password to give); every other session of the account ends."""
    had_password = user.has_password
    if had_password and not check_password_hash(user.password_hash, current_password or ""):
        raise AccountError("wrong_password", _("The current password is not correct."), field="current_password")
    problem = password_problem(new_password, phone=user.phone, username=user.username)
    if problem:
        raise AccountError("weak_password", problem, field="new_password")
    if had_password and check_password_hash(user.password_hash, new_password):
        raise AccountError(
            "same_password", _("The new password must differ from the current one."), field="new_password"
        )
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    revoke_sessions(user, except_token=user.session_token)
    db.session.flush()
    record("account.password_changed" if had_password else "account.password_set", user, actor=user)


@dataclass
class StaffData:
    """What the administrator fills in for a staff account."""

    name: str
    role: Role
    username: str | None = None
    phone: str | None = None
    organization: Organization | None = None
    town: Town | None = None
    villages: list[Village] | None = None


def _check_staff_data(data: StaffData, user: User | None = None) -> str | None:
    """Normalise and check the unique and role-specific fields; returns the normalised phone."""
    phone = normalise_phone(data.phone) if data.phone else None
    if data.phone and phone is None:
        raise AccountError(
            "bad_phone", _("Please enter a valid mainland mobile number (11 digits, starting with 1)."), field="phone"
        )
    own_id = user.id if user else -1
    if data.username and db.session.scalar(
        select(User.id).where(func.lower(User.username) == data.username.lower(), User.id != own_id)
    ):
        raise AccountError("username_taken", _("This username is already taken."), field="username")
    if phone and db.session.scalar(select(User.id).where(User.phone == phone, User.id != own_id)):
        raise AccountError("phone_taken", _("This mobile number is already registered."), field="phone")
    if data.role == Role.COORDINATOR and data.organization is None:
        raise AccountError(
            "organization_required",
            _("An organization coordinator needs an organization."),
            field="organization_id",
        )
    if data.role == Role.TOWN_SUPERVISOR and data.town is None:
        raise AccountError("town_required", _("A child supervisor needs a town."), field="town_id")
    if data.role == Role.CHILD_DIRECTOR and not data.villages:
        raise AccountError(
            "villages_required", _("A child director needs at least one village or community."), field="village_ids"
        )
    return phone


def _apply_staff_data(user: User, data: StaffData, phone: str | None) -> None:
    """Keep only the links the role uses, so a changed role leaves no stale town or villages behind."""
    user.name = data.name.strip()
    user.username = data.username.strip() if data.username else None
    user.phone = phone
    user.role = data.role
    user.organization = data.organization if data.role in (Role.COORDINATOR, Role.VOLUNTEER) else None
    user.town = data.town if data.role == Role.TOWN_SUPERVISOR else None
    user.villages = list(data.villages or []) if data.role == Role.CHILD_DIRECTOR else []


def create_staff_account(data: StaffData, password: str, *, by: User | None) -> User:
    """The administrator creates a staff account with a first password the person must change at first login."""
    if not data.username and not data.phone:
        raise AccountError(
            "login_required", _("Give the account a username or a mobile number to log in with."), field="username"
        )
    phone = _check_staff_data(data)
    problem = password_problem(password, phone=phone, username=data.username)
    if problem:
        raise AccountError("weak_password", problem, field="password")
    user = User(password_hash=hash_password(password), must_change_password=True, name="", role=data.role)
    _apply_staff_data(user, data, phone)
    db.session.add(user)
    db.session.flush()
    record("account.created", user, actor=by, role=str(data.role))
    return user


def update_staff_account(user: User, data: StaffData, *, by: User) -> None:
    """The administrator edits an account's name, login names, role and what it is linked to."""
    if not data.username and not data.phone:
        raise AccountError(
            "login_required", _("Give the account a username or a mobile number to log in with."), field="username"
        )
    if user.id == by.id and data.role != Role.ADMIN:
        raise AccountError("own_role", _("You cannot take the administrator role away from yourself."), field="role")
    phone = _check_staff_data(data, user)
    _apply_staff_data(user, data, phone)
    db.session.flush()
    record("account.updated", user, actor=by, role=str(data.role))


def reset_password(user: User, password: str, *, by: User) -> None:
    """The administrator sets a new password; the person must change it at next login, all sessions end."""
    problem = password_problem(password, phone=user.phone, username=user.username)
    if problem:
        raise AccountError("weak_password", problem, field="password")
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_sessions(user)
    db.session.flush()
    record("account.password_reset", user, actor=by)


def set_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate (ending every session) or reactivate an account. Nobody deactivates themselves."""
    if user.id == by.id and not active:
        raise AccountError("own_account", _("You cannot deactivate your own account."))
    user.is_active = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        revoke_sessions(user)
    db.session.flush()
    record("account.reactivated" if active else "account.deactivated", user, actor=by)
