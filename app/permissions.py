"""Who may do what: the one place access rules are written. Deny by default.

Every route declares its rule once, with one of three decorators: ``public`` (anyone, anonymous included),
``logged_in`` (any account) or ``permission_required(permission, scope=...)``. A scope names the record the URL
points at and the check that it is the user's to see (``SCOPES``); the decorator loads it and answers 404 when it
does not exist or is out of scope, so guessing ids tells nothing (IDOR). The rule stays on the view as
``access_rule``, where the test suite reads it to request every route as every role, in and out of scope; a route
without one fails the suite. Templates call ``can(...)``; record-level checks (an organization's own row, a town's
own villages) are functions here too, so no view or template compares roles itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from flask import abort, request
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
    VIEW_DEPARTMENT_FIGURES = "view_department_figures"  # the department report: the county's, or one's own row
    DELETE_OWN_ACCOUNT = "delete_own_account"  # volunteers delete themselves; staff accounts are the admin's to end


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.DELETE_OWN_ACCOUNT},
    Role.COORDINATOR: frozenset(
        {
            Permission.VIEW_DIRECTORY,
            Permission.MANAGE_ACTIVITIES,
            Permission.VOLUNTEER,
            Permission.VIEW_DEPARTMENT_FIGURES,
        }
    ),
    Role.TOWN_SUPERVISOR: frozenset(
        {Permission.VIEW_DIRECTORY, Permission.VOLUNTEER, Permission.VIEW_CHILDREN, Permission.CHECK_FILES}
    ),
    Role.CHILD_DIRECTOR: frozenset(
        {Permission.VIEW_DIRECTORY, Permission.VOLUNTEER, Permission.VIEW_CHILDREN, Permission.EDIT_CHILDREN}
    ),
    Role.VOLUNTEER: frozenset({Permission.VOLUNTEER, Permission.DELETE_OWN_ACCOUNT}),
}


def can(permission: Permission | str, user: User | None = None) -> bool:
    """True when ``user`` (default: the logged-in user) is active and their role grants ``permission``."""
    user = user if user is not None else current_user._get_current_object()  # one look-up, not one per attribute
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Permission(permission) in ROLE_PERMISSIONS.get(user.role, frozenset())


@dataclass(frozen=True)
class AccessRule:
    """Who may use a route: anyone (``permission is None and not login``), any account (``login``), or holders of
    ``permission``; with a ``scope``, only for records inside the user's scope."""

    login: bool
    permission: Permission | None = None
    scope: str | None = None


@dataclass(frozen=True)
class Scope:
    """A record a URL points at (``arg`` in the URL) and whether it is the current user's to reach."""

    arg: str
    check: Callable[..., bool | None]  # (user, **view_args) -> True, False (out of scope) or None (no such record)
    deny: int = 404


def _declare(view: Callable, rule: AccessRule) -> Callable:
    view.access_rule = rule
    return view


def public(view: Callable) -> Callable:
    """Anyone may use this route, logged in or not (public pages, signed links, the poster)."""
    return _declare(view, AccessRule(login=False))


def logged_in(view: Callable) -> Callable:
    """Any logged-in account may use this route (it shows or changes only the user's own things)."""
    wrapped = login_required(view)
    return _declare(wrapped, AccessRule(login=True))


def scoped(scope: str) -> Callable:
    """Any logged-in account, but only for records inside its scope (its own sign-up, an activity whose children
    it may register or mark): the scope's check decides, by role and by record."""
    return permission_required(None, scope=scope)


def permission_required(permission: Permission | None, *, scope: str | None = None) -> Callable:
    """Anonymous users go to the login page, logged-in users without the permission get a 403; with a ``scope``,
    a record that does not exist or is outside the user's scope is a 404 (or the scope's own denial)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if permission is not None and not can(permission):
                abort(403)
            if scope is not None:
                allowed = SCOPES[scope].check(current_user, **(request.view_args or {}))
                if not allowed:
                    abort(404 if allowed is None else SCOPES[scope].deny)
            return view(*args, **kwargs)

        return _declare(wrapped, AccessRule(login=True, permission=permission, scope=scope))

    return decorator


def access_rule(view: Callable) -> AccessRule | None:
    """The rule a view declared, or None (which the test suite refuses)."""
    return getattr(view, "access_rule", None)


def acts_for_organization(organization_id: int, user: User | None = None) -> bool:
    """The organization's own coordinators, and the administrator: who runs an organization's activities, pairings
    and proposals."""
    user = user if user is not None else current_user
    if not can(Permission.MANAGE_ACTIVITIES, user):
        return False
    return user.role == Role.ADMIN or user.organization_id == organization_id


def can_manage_activity(activity, user: User | None = None) -> bool:
    """The activity's own organization's coordinators, and the administrator; nobody else (not co-organizers)."""
    return acts_for_organization(activity.organization_id, user)


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


def can_record_check(child, level, user: User | None = None) -> bool:
    """R4: the county's spot check only by the county (the administrator); a town's full check only by the
    supervisor of the child's own town."""
    from app.childcare.models import CheckLevel

    user = user if user is not None else current_user
    if not can_check_file(child, user):
        return False
    if CheckLevel(level) == CheckLevel.COUNTY_SPOT:
        return user.role == Role.ADMIN
    return user.role == Role.TOWN_SUPERVISOR and user.town_id == child.town_id


def can_assign_director(user: User | None = None) -> bool:
    """Only the administrator chooses a file's child director; a child director's own new file is theirs."""
    user = user if user is not None else current_user
    return can(Permission.EDIT_CHILDREN, user) and user.role == Role.ADMIN


def may_direct_village(director: User, village_id: int) -> bool:
    """An active child director account that looks after the village: who may be a file's child director."""
    if not director.is_active or director.role != Role.CHILD_DIRECTOR:
        return False
    return village_id in {v.id for v in director.villages}


def village_scope(query, user: User | None = None):
    """Limit a ``select(Village)`` to the villages whose children ``user`` may see (the rule of ``child_scope``)."""
    from sqlalchemy import false

    from app.directory.models import Village

    user = user if user is not None else current_user
    if not can(Permission.VIEW_CHILDREN, user):
        return query.where(false())
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.TOWN_SUPERVISOR:
        return query.where(Village.town_id == user.town_id)
    return query.where(Village.id.in_([v.id for v in user.villages]))


def searches_are_audited(user: User | None = None) -> bool:
    """A search of children's files is audited unless a child director searches their own villages' files."""
    user = user if user is not None else current_user
    return user.role != Role.CHILD_DIRECTOR


def is_admin(user: User | None = None) -> bool:
    """The county administrator (民政局), who sees everything."""
    user = user if user is not None else current_user
    return getattr(user, "is_authenticated", False) and user.role == Role.ADMIN


def is_child_director(user: User | None = None) -> bool:
    user = user if user is not None else current_user
    return getattr(user, "is_authenticated", False) and user.role == Role.CHILD_DIRECTOR


def is_town_supervisor(user: User | None = None) -> bool:
    user = user if user is not None else current_user
    return getattr(user, "is_authenticated", False) and user.role == Role.TOWN_SUPERVISOR


def can_delete_own_account(user: User | None = None) -> bool:
    """A self-registered volunteer may delete their own account; staff accounts are the administrator's to
    deactivate (their records name who did what)."""
    return can(Permission.DELETE_OWN_ACCOUNT, user)


def is_coordinator(user: User | None = None) -> bool:
    """A coordinator acting for one organization (its activities, pairings and proposals are their worklist)."""
    user = user if user is not None else current_user
    return getattr(user, "is_authenticated", False) and user.role == Role.COORDINATOR


def organization_scope(query, column, user: User | None = None):
    """Limit a query to the rows whose organization (``column``, e.g. ``Activity.organization_id``) ``user`` acts
    for, the rule of ``can_manage_activity``: the administrator all, a coordinator their own organization's, anyone
    else none."""
    from sqlalchemy import false

    user = user if user is not None else current_user
    if not can(Permission.MANAGE_ACTIVITIES, user):
        return query.where(false())
    if user.role == Role.ADMIN:
        return query
    return query.where(column == user.organization_id) if user.organization_id else query.where(false())


# --- record scopes of the routes --------------------------------------------------------------------------------


def _get(model, row_id):
    from app.extensions import db

    return db.session.get(model, row_id) if row_id is not None else None


def _child_in_scope(user, child_id=None, **_kw) -> bool | None:
    from app.childcare.models import Child

    child = _get(Child, child_id)
    return None if child is None else can_view_child(child, user)


def _managed_activity(user, activity_id=None, **_kw) -> bool | None:
    from app.activities.models import Activity

    activity = _get(Activity, activity_id)
    return None if activity is None else can_manage_activity(activity, user)


def _managed_shift(user, shift_id=None, **_kw) -> bool | None:
    from app.activities.models import Shift

    shift = _get(Shift, shift_id)
    return None if shift is None else can_manage_activity(shift.activity, user)


def _managed_signup(user, signup_id=None, **_kw) -> bool | None:
    from app.activities.models import Signup

    signup = _get(Signup, signup_id)
    return None if signup is None else can_manage_activity(signup.shift.activity, user)


def can_manage_pairing(pairing, user: User | None = None) -> bool:
    """The pairing's organization's coordinators, and the administrator."""
    return acts_for_organization(pairing.organization_id, user)


def _managed_pairing(user, pairing_id=None, **_kw) -> bool | None:
    from app.mentoring.models import Pairing

    pairing = _get(Pairing, pairing_id)
    return None if pairing is None else can_manage_pairing(pairing, user)


def _own_pairing(user, pairing_id=None, **_kw) -> bool | None:
    from app.mentoring.models import Pairing

    pairing = _get(Pairing, pairing_id)
    return None if pairing is None or pairing.mentor_id != user.id else True


def can_take_up_proposal(proposal, user: User | None = None) -> bool:
    """A child proposed for mentoring to an organization: its coordinators, and the administrator."""
    return acts_for_organization(proposal.organization_id, user)


def _proposal_to_organization(user, proposal_id=None, **_kw) -> bool | None:
    from app.mentoring.models import PairingProposal

    proposal = _get(PairingProposal, proposal_id)
    return None if proposal is None else can_take_up_proposal(proposal, user)


def _proposal_of_own_child(user, proposal_id=None, **_kw) -> bool | None:
    from app.mentoring.models import PairingProposal

    proposal = _get(PairingProposal, proposal_id)
    return None if proposal is None else can_edit_child(proposal.child, user)


def can_view_department(organization_id: int, user: User | None = None) -> bool:
    """A department's figures: the county's report readers, and the department's own coordinators."""
    user = user if user is not None else current_user
    if can(Permission.VIEW_REPORTS, user):
        return True
    return can(Permission.MANAGE_ACTIVITIES, user) and user.organization_id == organization_id


def _department(user, organization_id=None, **_kw) -> bool | None:
    from app.directory.models import Organization

    if _get(Organization, organization_id) is None:
        return None
    return can_view_department(organization_id, user)


def can_write_progress_report(town, user: User | None = None) -> bool:
    """A town's progress report: its own supervisor, and the county (who reads every town's)."""
    user = user if user is not None else current_user
    return can(Permission.VIEW_REPORTS, user) or (can(Permission.CHECK_FILES, user) and user.town_id == town.id)


def _town_report(user, town_code=None, **_kw) -> bool | None:
    from sqlalchemy import select

    from app.directory.models import Town
    from app.extensions import db

    town = db.session.scalar(select(Town).where(Town.code == town_code)) if town_code else None
    return None if town is None else can_write_progress_report(town, user)


def _own_signup(user, signup_id=None, **_kw) -> bool | None:
    from app.activities.models import Signup

    signup = _get(Signup, signup_id)
    return None if signup is None else signup.user_id == user.id


def can_mark_attendance(activity, user: User | None = None) -> bool:
    """The activity's own coordinators (and the administrator), or a child director of a village in its town."""
    user = user if user is not None else current_user
    if can_manage_activity(activity, user):
        return True
    return user.role == Role.CHILD_DIRECTOR and activity.town_id in {v.town_id for v in user.villages}


def can_register_children(user: User | None = None) -> bool:
    """Child directors (and the administrator) register children of their villages for activities."""
    user = user if user is not None else current_user
    return can(Permission.EDIT_CHILDREN, user)


def _activity_children(user, activity_id=None, **_kw) -> bool | None:
    from app.activities.models import Activity

    activity = _get(Activity, activity_id)
    if activity is None:
        return None
    return can_mark_attendance(activity, user) or can_register_children(user)


def _own_import(user, token=None, **_kw) -> bool | None:
    """An upload's page: its uploader's alone (anyone else is told there is no such page)."""
    from sqlalchemy import select

    from app.childcare.models import ChildImport
    from app.extensions import db

    user_id = db.session.scalar(select(ChildImport.user_id).where(ChildImport.token == token)) if token else None
    return None if user_id is None or user_id != user.id else True


SCOPES: dict[str, Scope] = {
    "own_signup": Scope("signup_id", _own_signup, deny=403),
    "activity_children": Scope("activity_id", _activity_children, deny=403),
    "child": Scope("child_id", _child_in_scope),
    "managed_activity": Scope("activity_id", _managed_activity, deny=403),
    "managed_shift": Scope("shift_id", _managed_shift, deny=403),
    "managed_signup": Scope("signup_id", _managed_signup, deny=403),
    "managed_pairing": Scope("pairing_id", _managed_pairing, deny=403),
    "own_pairing": Scope("pairing_id", _own_pairing),
    "proposal": Scope("proposal_id", _proposal_to_organization, deny=403),
    "proposal_child": Scope("proposal_id", _proposal_of_own_child),
    "department": Scope("organization_id", _department, deny=403),
    "town_report": Scope("town_code", _town_report, deny=403),
    "own_import": Scope("token", _own_import),
}
