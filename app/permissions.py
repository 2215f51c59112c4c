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
    VIEW_CHILDREN = "view_children"  # children's files in one's own scope (villages, town, county)
    EDIT_CHILDREN = "edit_children"  # create and update files and their timelines
    CHECK_FILES = "check_files"  # R4 file checks (town full check, county spot check)
    MANAGE_SETTINGS = "manage_settings"  # the county's policies, e.g. visit intervals
    VIEW_REPORTS = "view_reports"  # the county's reports on every department (coordinators see their own row)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.COORDINATOR: frozenset({Permission.VIEW_DIRECTORY, Permission.MANAGE_ACTIVITIES, Permission.VOLUNTEER}),
    Role.TOWN_SUPERVISOR: frozenset(
        {Permission.VIEW_DIRECTORY, Permission.VOLUNTEER, Permission.VIEW_CHILDREN, Permission.CHECK_FILES}
    ),
    Role.CHILD_DIRECTOR: frozenset(
        {Permission.VIEW_DIRECTORY, Permission.VOLUNTEER, Permission.VIEW_CHILDREN, Permission.EDIT_CHILDREN}
    ),
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


# --- children's files (R9: least privilege) ---------------------------------------------------------------------


def child_scope(query, user: User | None = None):
    """Limit a ``select(Child)`` to the children ``user`` may see: the administrator all, a supervisor their town,
    a child director their villages, everyone else none (Primero's rule: scope every case query)."""
    from sqlalchemy import false

    from app.childcare.models import Child

    user = user if user is not None else current_user
    if not can(Permission.VIEW_CHILDREN, user):
        return query.where(false())
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.TOWN_SUPERVISOR:
        return query.where(Child.town_id == user.town_id)
    return query.where(Child.village_id.in_([v.id for v in user.villages]))


def can_view_child(child, user: User | None = None) -> bool:
    user = user if user is not None else current_user
    if not can(Permission.VIEW_CHILDREN, user):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.TOWN_SUPERVISOR:
        return child.town_id == user.town_id
    return child.village_id in {v.id for v in user.villages}


def can_edit_child(child, user: User | None = None) -> bool:
    user = user if user is not None else current_user
    return can(Permission.EDIT_CHILDREN, user) and can_view_child(child, user)


def can_check_file(child, user: User | None = None) -> bool:
    user = user if user is not None else current_user
    return can(Permission.CHECK_FILES, user) and can_view_child(child, user)


def can_see_full_id(child, user: User | None = None) -> bool:
    """The whole resident ID number: the administrator and the child's own child director only."""
    user = user if user is not None else current_user
    return can_view_child(child, user) and user.role in (Role.ADMIN, Role.CHILD_DIRECTOR)
