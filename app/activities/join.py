"""A new volunteer's first step from a poster: register and sign up for a shift, as one operation."""

from __future__ import annotations

from app.activities.models import Signup
from app.activities.services import sign_up
from app.auth.models import User
from app.auth.services import register_volunteer
from app.directory.models import Organization


def join_activity(
    shift_id: int,
    *,
    name: str,
    phone: str,
    password: str,
    organization: Organization | None = None,
    locale: str | None = None,
) -> tuple[User, Signup]:
    """Register a volunteer and sign them up for ``shift_id`` in one transaction: confirmed while there is room,
    waitlisted otherwise. If the sign-up is refused (the shift has started, the activity was cancelled...), the
    caller rolls back and no account is left behind: the person can correct and try again with the same number."""
    user = register_volunteer(name=name, phone=phone, password=password, organization=organization, locale=locale)
    return user, sign_up(shift_id, user)
