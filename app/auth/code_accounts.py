"""Accounts reached by an SMS code the caller has already checked (``app.auth.codes.check_code``): a volunteer signs in
or registers by phone, anyone resets a forgotten password, staff turn the second step on or off."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import STAFF_ROLES, Role, User
from app.auth.services import AccountError, hash_password, normalise_phone, password_problem, register_volunteer
from app.auth.sessions import revoke_sessions
from app.directory.models import Organization
from app.extensions import db


def volunteer_for_code(
    phone: str,
    *,
    name: str | None,
    consented: bool,
    organization: Organization | None = None,
    locale: str | None = None,
) -> User:
    """The volunteer whose number a code has just proved: the existing account, or a new one without a password
    (which needs a name and consent to the privacy notice). Staff accounts keep logging in with their password, so
    a code never opens one; a deactivated account stays closed."""
    digits = normalise_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == digits)) if digits else None
    if user is None:
        if not (name or "").strip():
            raise AccountError(
                "name_required", _("This number is new to Shouhu: please enter your name to register."), field="name"
            )
        if not consented:
            raise AccountError(
                "consent_required", _("Please agree to the privacy notice to register."), field="consent"
            )
        return register_volunteer(name=name, phone=phone, organization=organization, locale=locale)
    if user.role != Role.VOLUNTEER:
        raise AccountError("staff_account", _("This is a staff account: please log in with your password."))
    if not user.is_active:
        raise AccountError(
            "inactive", _("This account has been deactivated. Please contact the county civil-affairs bureau.")
        )
    record("auth.login", user, actor=user, method="sms_code")
    return user


def reset_password_by_code(phone: str, new_password: str) -> User:
    """Set a new password on the account whose number a RESET code has just proved; every session of the account
    ends (whoever knew the old password is logged out) and the reset is audited."""
    digits = normalise_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == digits)) if digits else None
    if user is None:  # unreachable with a checked code (none is sent to an unknown number), but never a crash
        raise AccountError("no_account", _("The code has expired or was already used. Please ask for a new one."))
    problem = password_problem(new_password, phone=user.phone, username=user.username)
    if problem:
        raise AccountError("weak_password", problem, field="new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    revoked = revoke_sessions(user)
    db.session.flush()
    record("account.password_reset_by_code", user, actor=user, sessions_ended=revoked)
    return user


def set_second_step(user: User, enabled: bool) -> None:
    """Staff choose whether logging in also needs an SMS code after the password. It goes to the account's mobile
    number, so turning it on needs one."""
    if user.role not in STAFF_ROLES:
        raise AccountError("not_staff", _("Volunteers sign in with an SMS code already."))
    if enabled and not user.phone:
        raise AccountError(
            "no_phone", _("Your account has no mobile number. Please ask the administrator to add one first.")
        )
    if user.sms_second_step == enabled:
        return
    user.sms_second_step = enabled
    db.session.flush()
    record("account.second_step_on" if enabled else "account.second_step_off", user, actor=user)
