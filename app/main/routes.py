"""Home page (each role's worklist first, then the menu), the worklists in full, privacy notice, health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from app.activities.queries import activity_cards
from app.auth.models import Role
from app.childcare.services import today
from app.db_types import utcnow
from app.directory.models import Town
from app.extensions import csrf, db
from app.main import worklists
from app.main.home import for_user as home_work
from app.permissions import Permission, can, permission_required, public

bp = Blueprint("main", __name__)
MAX_PAGE = 10_000  # a larger ?page= would overflow the database's OFFSET: the first page instead

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
    work = home_work(current_user, today(), utcnow()) if current_user.is_authenticated else None
    upcoming, _total = activity_cards(per_page=8)
    return render_template(
        "main/index.html", actions=actions, summary=summary, upcoming=upcoming, work=work, today=today()
    )


def _page() -> int:
    """The page of a full list from ``?page=``: anything but a sensible page number is the first page."""
    page = request.args.get("page", 1, type=int)
    return page if 0 < page <= MAX_PAGE else 1


def _full_list(template: str, listing: worklists.Capped, page: int, **context):
    """A full worklist, one page of ``worklists.PAGE`` rows, with links to the other pages."""

    def page_url(number: int) -> str:
        return url_for(request.endpoint, **{**(request.view_args or {}), **request.args.to_dict(), "page": number})

    pages = max(1, -(-listing.total // worklists.PAGE))
    return render_template(
        template, listing=listing, page=page, pages=pages, page_url=page_url, today=today(), **context
    )


@bp.route("/worklist/problems")
@permission_required(Permission.EDIT_CHILDREN)
def problems_raised():
    """Every open problem raised by others on the director's files."""
    return _problems_page("raised", worklists.raised_by_others)


@bp.route("/worklist/problems/mine")
@permission_required(Permission.EDIT_CHILDREN)
def problems_own():
    """Every open problem the director raised on their own files."""
    return _problems_page("own", worklists.own_problems)


def _problems_page(which: str, query):
    page = _page()
    listing = query(current_user, today(), limit=worklists.PAGE, offset=(page - 1) * worklists.PAGE)
    return _full_list("main/problems.html", listing, page, which=which)


@bp.route("/worklist/escalated")
@permission_required(Permission.CHECK_FILES)
def escalated():
    """Problems left unresolved past the escalation days: a supervisor's town; the county, or one town of it."""
    page, town, notice, days = _page(), None, None, worklists.escalation_days()
    code = request.args.get("town", "").strip()
    if code:
        town = db.session.scalar(select(Town).where(Town.code == code))
        if town is None:
            notice = _("There is no such town: showing the whole county.")
    listing = worklists.escalated(
        current_user,
        today(),
        days=days,
        town_id=town.id if town else None,
        limit=worklists.PAGE,
        offset=(page - 1) * worklists.PAGE,
    )
    return _full_list("main/escalated.html", listing, page, town=town, notice=notice, days=days)


@bp.route("/worklist/age-limit")
@permission_required(Permission.EDIT_CHILDREN)
def age_limit():
    """Every file of the director's villages that has reached its age limit, to confirm closing."""
    listing = worklists.at_age_limit(current_user, today(), limit=None)
    return render_template("main/age_limit.html", listing=listing, today=today())


@bp.route("/worklist/activities")
@permission_required(Permission.MANAGE_ACTIVITIES)
def ended_activities():
    """Every activity of the coordinator's organization that has ended but is not closed yet."""
    page = _page()
    listing = worklists.ended_not_closed(
        current_user, utcnow(), limit=worklists.PAGE, offset=(page - 1) * worklists.PAGE
    )
    return _full_list("main/ended_activities.html", listing, page)


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
