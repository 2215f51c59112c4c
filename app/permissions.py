"""Who may do what: the one place access rules are written. Deny by default.

Routes use ``permission_required``; templates call ``can(...)``; record-level checks (an organization's own
row, a town's own villages) are functions here too, so no view writes ``if role == ...`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.auth.models import Role, User


class Permission(StrEnum):
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_DIRECTORY = "manage_directory"  # organizations, schools, villages, CSV import
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_DIRECTORY = "view_directory"
    MANAGE_ACTIVITIES = "manage_activities"  # publish and run activities for one's organization
    VOLUNTEER = "volunteer"  # sign up for shifts, keep a service record


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.COORDINATOR: frozenset({Permission.VIEW_DIRECTORY, Permission.MANAGE_ACTIVITIES, Permission.VOLUNTEER}),
    Role.TOWN_SUPERVISOR: frozenset({Permission.VIEW_DIRECTORY, Permission.VOLUNTEER}),
    Role.CHILD_DIRECTOR: frozenset({Permission.VIEW_DIRECTORY, Permission.VOLUNTEER}),
    Role.VOLUNTEER: frozenset({Permission.VOLUNTEER}),
}


def can(permission: Permission | str, user: User | None = None) -> bool:
    """True when ``user`` (default: the logged-in user) is active and their role grants ``permission``."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Permission(permission) in ROLE_PERMISSIONS.get(user.role, frozenset())


def permission_required(permission: Permission) -> Callable:
    """View decorator: anonymous users go to the login page, logged-in users without the permission get a 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_manage_activity(activity, user: User | None = None) -> bool:
    """The activity's own organization's coordinators, and the administrator; nobody else (not co-organizers)."""
    user = user if user is not None else current_user
    if not can(Permission.MANAGE_ACTIVITIES, user):
        return False
    return user.role == Role.ADMIN or user.organization_id == activity.organization_id


def require_activity_manager(activity) -> None:
    """Abort with 403 unless the current user may manage ``activity``."""
    if not can_manage_activity(activity):
        abort(403)
