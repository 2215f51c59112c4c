"""A volunteer's way in from a poster: prove the number with an SMS code, then be signed up, as one operation."""

from __future__ import annotations

from app.activities.models import Signup
from app.activities.services import sign_up
from app.auth.code_accounts import volunteer_for_code
from app.auth.models import User
from app.directory.models import Organization


def join_activity(
    shift_id: int,
    *,
    name: str,
    phone: str,
    consented: bool,
    organization: Organization | None = None,
    locale: str | None = None,
) -> tuple[User, Signup]:
    """Sign up the volunteer whose number a JOIN code has just proved (the caller checked it) for ``shift_id``:
    their existing account, or a new one without a password (no password to invent, none to hash). Confirmed while
    there is room, waitlisted otherwise. If the sign-up is refused (the shift has started, the activity was
    cancelled...), the caller rolls back: no account is left behind and the code can be used again."""
    user = volunteer_for_code(phone, name=name, consented=consented, organization=organization, locale=locale)
    return user, sign_up(shift_id, user)
