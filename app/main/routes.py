"""Home page, privacy notice, health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.activities.queries import taken_places, upcoming_activities
from app.auth.models import Role
from app.childcare.models import Child
from app.childcare.services import today
from app.childcare.visits import overdue_or_due_soon
from app.extensions import csrf, db
from app.permissions import Permission, can, child_scope, public

bp = Blueprint("main", __name__)

# What each role does under the plan, shown on the home page.
ROLE_SUMMARIES = {
    Role.ADMIN: _l(
        "As county administrator you manage accounts, organizations and places, and you will tally every "
        "department's activity against the plan."
    ),
    Role.COORDINATOR: _l("You act for your organization: you publish its activities and look after its volunteers."),
    Role.TOWN_SUPERVISOR: _l("As child supervisor you oversee the child directors and children's files of your town."),
    Role.CHILD_DIRECTOR: _l("As child director you visit the children of your villages and keep their files."),
    Role.VOLUNTEER: _l("As a volunteer you sign up for care activities and keep a record of your service."),
}

# (permission or None for every logged-in user, label, endpoint): the links a role sees on the home page.
HOME_ACTIONS = [
    (Permission.MANAGE_ACTIVITIES, _l("Our activities"), "manage.activities"),
    (Permission.MANAGE_ACTIVITIES, _l("New activity"), "manage.new_activity"),
    (Permission.MANAGE_ACTIVITIES, _l("One-to-one pairings"), "mentoring.manage"),
    (Permission.MANAGE_ACTIVITIES, _l("Our figures"), "reports.departments"),
    (Permission.VOLUNTEER, _l("My activities"), "activities.mine"),
    (Permission.VOLUNTEER, _l("My pairings"), "mentoring.mine"),
    (None, _l("Find activities"), "activities.index"),
    (Permission.VIEW_CHILDREN, _l("Children's files"), "children.index"),
    (Permission.EDIT_CHILDREN, _l("New child's file"), "children.new"),
    (Permission.VIEW_CHILDREN, _l("Visits due"), "children.visits_due_view"),
    (Permission.VIEW_CHILDREN, _l("Safety coverage"), "reports.safety_coverage_view"),
    (Permission.CHECK_FILES, _l("Visit compliance"), "children.compliance"),
    (Permission.CHECK_FILES, _l("Visits over the year"), "reports.visit_shares"),
    (Permission.CHECK_FILES, _l("Our town's progress report"), "reports.my_progress_report"),
    (Permission.VIEW_REPORTS, _l("Department activity report"), "reports.departments"),
    (Permission.VIEW_REPORTS, _l("Report summary and charts"), "reports.summary"),
    (Permission.VIEW_REPORTS, _l("Compliance with the plan"), "reports.compliance_view"),
    (Permission.VIEW_REPORTS, _l("Town progress reports"), "reports.progress_overview"),
    (Permission.MANAGE_ACCOUNTS, _l("Staff accounts"), "accounts.index"),
    (Permission.VIEW_DIRECTORY, _l("Organizations and schools"), "directory.organizations"),
    (Permission.VIEW_DIRECTORY, _l("Towns, villages and communities"), "directory.villages"),
    (Permission.MANAGE_DIRECTORY, _l("Import villages or schools (CSV)"), "directory.import_csv"),
    (Permission.VIEW_AUDIT_LOG, _l("Audit log"), "audit.index"),
    (Permission.MANAGE_SETTINGS, _l("Visit policy"), "children.policy"),
    (Permission.MANAGE_SETTINGS, _l("School vacations"), "reports.vacations"),
    (None, _l("My account and language"), "auth.account"),
    (None, _l("Change password"), "auth.change_password"),
]


@bp.route("/")
@public
def index():
    actions = []
    if current_user.is_authenticated:
        shown = [(label, endpoint) for perm, label, endpoint in HOME_ACTIONS if perm is None or can(perm)]
        actions = [item for i, item in enumerate(shown) if item[1] not in {e for _l, e in shown[:i]}]
    summary = ROLE_SUMMARIES.get(current_user.role) if current_user.is_authenticated else None
    due = []
    if can(Permission.EDIT_CHILDREN):
        due = overdue_or_due_soon(child_scope(select(Child).options(selectinload(Child.village))), today())
    upcoming = upcoming_activities(limit=8)
    taken = taken_places([s.id for a in upcoming for s in a.shifts])
    return render_template(
        "main/index.html", actions=actions, summary=summary, upcoming=upcoming, taken=taken, due=due, today=today()
    )


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.route("/healthz")
@public
@csrf.exempt
def healthz():
    """For the load balancer and monitoring: is the app up, and does the database answer?"""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
