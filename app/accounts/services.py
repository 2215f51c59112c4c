"""Deleting a volunteer's account: one operation, all or nothing.

The account is not removed: its past sign-ups and mentoring sessions stay in the counts (service that happened
still happened), but nothing in it names the person any more. Every page shows such an account through
``User.display_name`` ("Former volunteer", in the reader's language).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.activities.models import SignupStatus
from app.activities.queries import signups_of
from app.activities.services import cancel_signup
from app.audit.services import record
from app.auth.models import User
from app.auth.services import AccountError
from app.auth.sessions import revoke_sessions
from app.db_types import utcnow
from app.extensions import db
from app.mentoring.services import end_pairings_of_deleted_mentor
from app.permissions import can_delete_own_account


def anonymise_account(user: User, *, by: User, now: datetime | None = None) -> None:
    """Delete a volunteer's personal data but keep the account's row, so past service still counts.

    No name is stored (pages render it in the reader's language, see ``User.display_name``); the phone, username
    and calendar address are removed, the password can never match again and every session ends."""
    user.name = ""
    user.username = None
    user.phone = None
    user.password_hash = "!"  # noqa: S105 - no werkzeug hash has this form: nobody can log in
    user.calendar_token = None
    user.is_active = False
    user.deactivated_at = user.anonymised_at = now or utcnow()
    revoke_sessions(user)
    db.session.flush()
    record("account.anonymised", user, actor=by)


def delete_volunteer_account(user: User, *, by: User, now: datetime | None = None) -> None:
    """A volunteer deletes their account, in one transaction that the caller commits once:

    1. their upcoming sign-ups are cancelled, so each waitlist moves up (promotions are recorded as the system);
    2. their pairings as a mentor end (``end_pairings_of_deleted_mentor``), and each coordinator is told;
    3. the account is anonymised.

    If any step fails, nothing has happened: the sign-ups are still confirmed, the pairings active, the account
    intact. Only a volunteer's own account is deleted this way."""
    if not can_delete_own_account(user):
        raise AccountError("not_volunteer", _("Only a volunteer's account can be deleted here."))
    now = now or utcnow()
    for signup in signups_of(user.id):
        # A sign-up already checked in is service done: it stays, without the name (``cancel_signup`` refuses it).
        if signup.status != SignupStatus.CANCELLED and signup.shift.starts_at > now and signup.checked_in_at is None:
            cancel_signup(signup, by=by, now=now)
    end_pairings_of_deleted_mentor(user)
    anonymise_account(user, by=by, now=now)
