"""Report pages and their CSV/XLSX exports: the figures on the page and in the files come from one function."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.activities.labels import KIND_LABELS, PLAN_TASK_LABELS, SAFETY_TOPIC_LABELS
from app.activities.models import SafetyTopic
from app.audit.services import record
from app.childcare.models import Child
from app.childcare.services import today
from app.childcare.visits import groupings
from app.db_types import row_id
from app.directory.models import Organization, Town, Village
from app.directory.routes import town_choices
from app.extensions import db
from app.i18n import localized_name
from app.labels import label
from app.permissions import (
    Permission,
    can,
    child_scope,
    is_child_director,
    is_town_supervisor,
    permission_required,
)
from app.reports.charts import bar_chart
from app.reports.compliance import STATUS_LABELS, compliance
from app.reports.coverage import Coverage, safety_coverage
from app.reports.exports import Table, download
from app.reports.periods import STAGES, parse_day, parse_period, parse_year, vacation
from app.reports.queries import activities_behind, department_report, pairings_behind
from app.reports.summary import summary as summary_of
from app.reports.tasks import task_full, task_short
from app.reports.visit_rules import child_shares

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(bar_chart)
TASKS = range(1, 19)


def _scope() -> int | None:
    """None for the whole county (the administrator); an organization's id for its own coordinators."""
    if can(Permission.VIEW_REPORTS):
        return None
    if can(Permission.MANAGE_ACTIVITIES) and current_user.organization_id:
        return current_user.organization_id
    abort(403)


# The query-string keys a department report passes on to its downloads and to the lists behind its numbers.
REPORT_ARGS = ("period", "year", "quarter", "month", "from", "to", "kind", "town", "task")


def send_export(response):
    """Send an export after committing the request's one change, the export's audit entry: the route owns the
    transaction (``download`` never commits)."""
    db.session.commit()
    return response


def _report_args() -> dict[str, str]:
    return {key: value for key, value in request.args.items() if key in REPORT_ARGS and value}


def _filters():
    period = parse_period(request.args, today())
    kind = request.args.get("kind") or None
    if kind not in KIND_LABELS:
        kind = None
    town_id = request.args.get("town", type=row_id)
    task = request.args.get("task", type=int)
    if task is not None and task not in TASKS:
        task = None
    return period, kind, town_id, task


def _table(rows) -> tuple[list[str], list[list]]:
    """The report as headers and plain values: the page, the CSV and the XLSX all show exactly these."""
    headers = [
        _("Organization"),
        _("Activities held"),
        *[task_short(n) for n in TASKS],
        _("Safety topics"),
        _("Volunteers"),
        _("Service hours"),
        _("Children reached"),
        _("Pairings active"),
        _("Sessions held"),
    ]
    values = []
    for row in rows:
        values.append(
            [
                localized_name(row.organization),
                row.activities,
                *[row.by_task.get(n, 0) for n in TASKS],
                "、".join(label(t) for t in sorted(row.topics)),
                row.volunteers,
                row.hours,
                row.children,
                row.pairings,
                row.sessions,
            ]
        )
    return headers, values


# The columns a total adds up: activities, each task, hours, pairings, sessions. Volunteers and children are left
# out: one person serving (or one child reached by) several departments is in several rows.
SUMMED = [1, *(1 + n for n in TASKS), 22, 24, 25]


def _total_row(values: list[list]) -> list:
    """The sum of the rows, column by column, where a sum means something (``SUMMED``; a co-organized activity
    counts once for each organizer, as in the rows)."""
    total: list = [_("Total")] + [""] * (len(values[0]) - 1)
    for column in SUMMED:
        total[column] = sum(row[column] or 0 for row in values)
    total[22] = round(total[22], 1)
    return total


@bp.route("/departments")
@permission_required(Permission.VIEW_DEPARTMENT_FIGURES)
def departments():
    organization_id = _scope()
    period, kind, town_id, task = _filters()
    rows = department_report(period, kind=kind, town_id=town_id, task=task, organization_id=organization_id)
    headers, values = _table(rows)
    return render_template(
        "reports/departments.html",
        rows=rows,
        headers=headers,
        values=values,
        total=_total_row(values) if len(values) > 1 else None,
        task_full=task_full,
        period=period,
        tasks=TASKS,
        kinds=KIND_LABELS,
        towns=town_choices(),
        stages=STAGES,
        filters={"kind": kind or "", "town": town_id or 0, "task": task or 0},
        args=_report_args(),
    )


@bp.route("/departments.<fmt>")
@permission_required(Permission.VIEW_DEPARTMENT_FIGURES)
def departments_export(fmt: str):
    organization_id = _scope()
    period, kind, town_id, task = _filters()
    headers, values = _table(
        department_report(period, kind=kind, town_id=town_id, task=task, organization_id=organization_id)
    )
    if len(values) > 1:
        values.append(_total_row(values))
    title = _("Department activity report, %(period)s", period=period.title)
    return send_export(
        download(
            fmt, name="departments", title=title, tables=[Table(_("Departments"), headers, values)], by=current_user
        )
    )


@bp.route("/departments/<int:organization_id>/activities")
@permission_required(Permission.VIEW_DEPARTMENT_FIGURES, scope="department")
def department_activities(organization_id: int):
    """The activities behind a number in the report."""
    scope = _scope()
    if scope is not None and scope != organization_id:
        abort(403)
    period, kind, town_id, task = _filters()
    organization = db.get_or_404(Organization, organization_id)
    filters = {"kind": kind, "town_id": town_id, "task": task}
    return render_template(
        "reports/activities.html",
        organization=organization,
        activities=activities_behind(period, organization_id=organization_id, **filters),
        pairings=pairings_behind(period, organization_id=organization_id, **filters),
        period=period,
        kind=kind,
        town=db.session.get(Town, town_id) if town_id else None,
        task=task,
        back=url_for("reports.departments", **_report_args()),
    )


def _compliance_year():
    year = parse_period(request.args, today())
    return year if year.kind == "year" else parse_period(MultiDict(), today())


@bp.route("/compliance")
@permission_required(Permission.VIEW_REPORTS)
def compliance_view():
    """Each countable rule of the plan for a year: met or not, and what is missing."""
    year = _compliance_year()
    return render_template("reports/compliance.html", results=compliance(year), year=year, labels=STATUS_LABELS)


@bp.route("/compliance.<fmt>")
@permission_required(Permission.VIEW_REPORTS)
def compliance_export(fmt: str):
    year = _compliance_year()
    table = Table(
        _("Compliance with the plan"),
        [_("Rule"), _("Requirement"), _("Status"), _("Missing"), _("Still to do"), _("Details")],
        [
            [
                r.code,
                str(r.title),
                str(STATUS_LABELS[r.status]),
                "、".join(r.missing),
                "、".join(f"{item} ({due.isoformat()})" for item, due in r.upcoming),
                r.detail,
            ]
            for r in compliance(year)
        ],
    )
    title = _("Compliance with the plan, %(year)s", year=year.title)
    return send_export(download(fmt, name="compliance", title=title, tables=[table], by=current_user))


def _summary_tables(data) -> list[Table]:
    """The summary's tables, for the page and the files alike."""
    measures = [_("Activities held"), _("Volunteers"), _("Service hours"), _("Children reached")]

    def cells(figures) -> list:
        return [figures.activities, figures.volunteers, figures.hours, figures.children]

    by_year = [cells(data.totals[y]) for y in data.years]  # one column per year, turned into rows below
    year_on_year = [[measure, *values] for measure, *values in zip(measures, *by_year, strict=True)]
    year_on_year += [[localized_name(o), *counts] for o, counts in data.year_rows]
    return [
        Table(_("By town"), [_("Town"), *measures], [[localized_name(t), *cells(f)] for t, f in data.towns]),
        Table(
            _("By plan task"),
            [_("Plan task"), *measures],
            [[str(PLAN_TASK_LABELS[n]), *cells(f)] for n, f in data.tasks],
        ),
        Table(_("Year on year"), ["", *map(str, data.years)], year_on_year),
        Table(
            _("Activities per department"),
            [_("Organization"), _("Activities held")],
            [[localized_name(o), n] for o, n in data.departments],
        ),
        Table(_("Activities per month"), [_("Month"), _("Activities held")], [list(m) for m in data.months]),
    ]


def _summary_year():
    return parse_period(MultiDict({"period": "year", "year": request.args.get("year", "")}), today())


@bp.route("/summary")
@permission_required(Permission.VIEW_REPORTS)
def summary():
    """The year's figures by town and plan task, charts, and the plan years side by side."""
    period = _summary_year()
    data = summary_of(period.first.year)
    return render_template(
        "reports/summary.html",
        period=period,
        departments=[(localized_name(o), n) for o, n in data.departments],
        months=data.months,
        tasks_chart=[(task_short(n), t.activities, task_full(n)) for n, t in data.tasks],
        tables=_summary_tables(data)[:3],
    )


@bp.route("/summary.<fmt>")
@permission_required(Permission.VIEW_REPORTS)
def summary_export(fmt: str):
    period = _summary_year()
    title = _("Report summary, %(period)s", period=period.title)
    return send_export(
        download(
            fmt, name="summary", title=title, tables=_summary_tables(summary_of(period.first.year)), by=current_user
        )
    )


def _coverage_choice() -> tuple[str, date]:
    topic = request.args.get("topic", SafetyTopic.DROWNING.value)
    if topic not in {t.value for t in SafetyTopic}:
        topic = SafetyTopic.DROWNING.value
    until = parse_day(request.args.get("until"), None) or vacation(today().year, "summer")[0]
    return topic, until


def _coverage(topic: str, until: date, *, names: bool) -> list[tuple[Town, Coverage, list[tuple[Village, Coverage]]]]:
    """Per town in the county's order: the town's total and its villages' coverage."""
    rows = safety_coverage(child_scope(select(Child)), topic, until, names=names)
    villages = {v.id: v for v in db.session.scalars(select(Village).options(selectinload(Village.town)))}
    towns: dict[int, tuple[Town, Coverage, list]] = {}
    for (_town_id, village_id), c in sorted(
        rows.items(), key=lambda item: (villages[item[0][1]].town.sort_order, villages[item[0][1]].name_zh)
    ):
        village = villages[village_id]
        _town, total, lines = towns.setdefault(village.town_id, (village.town, Coverage(), []))
        total.children += c.children
        total.covered += c.covered
        lines.append((village, c))
    return list(towns.values())


@bp.route("/safety-coverage.<fmt>")
@permission_required(Permission.VIEW_CHILDREN)
def safety_coverage_export(fmt: str):
    """Counts only, for everyone: an export never carries children's names."""
    topic, until = _coverage_choice()
    towns = _coverage(topic, until, names=False)
    headers = [_("Children on file"), _("Reached"), _("Not yet reached")]

    def counts(c: Coverage) -> list[int]:
        return [c.children, c.covered, c.children - c.covered]

    by_village = [
        [localized_name(town), localized_name(village), *counts(c)] for town, _t, lines in towns for village, c in lines
    ]
    by_town = [[localized_name(town), *counts(total)] for town, total, _lines in towns]
    name = str(SAFETY_TOPIC_LABELS[SafetyTopic(topic)])
    tables = [
        Table(_("By town"), [_("Town"), *headers], by_town),
        Table(_("By village or community"), [_("Town"), _("Village or community"), *headers], by_village),
    ]
    title = _("Safety coverage: %(topic)s", topic=name) + f" · {until.isoformat()}"
    return send_export(download(fmt, name="safety-coverage", title=title, tables=tables, by=current_user))


@bp.route("/safety-coverage")
@permission_required(Permission.VIEW_CHILDREN)
def safety_coverage_view():
    """Per town and village: children on file who had safety education on a topic this year; the names of those
    who did not only for their child director and supervisor (the county sees counts)."""
    topic, until = _coverage_choice()
    show_names = is_child_director() or is_town_supervisor()
    page = render_template(
        "reports/coverage.html",
        towns=_coverage(topic, until, names=show_names),
        topic=topic,
        until=until,
        topics=SAFETY_TOPIC_LABELS,
        show_names=show_names,
        # A child director sees only their villages: a town's total is theirs, not the town's.
        own_villages=is_child_director(),
    )
    # Committed after rendering: a commit expires every loaded row, and the page would reload them one by one.
    record("report.safety_coverage", actor=current_user, topic=topic, names_shown=show_names)
    db.session.commit()
    return page


@bp.route("/visits")
@permission_required(Permission.CHECK_FILES)
def visit_shares():
    """R3 over a year: child-weeks with a contact and child-months with a home visit, by town (county) or by
    village and child director (a town's supervisor); children with a risk flag separately."""
    year = parse_year(request.args.get("year"), today())
    return render_template("reports/visits.html", year=year, tables=_visit_shares(year))


def _visit_shares(year: int) -> list[tuple[str, dict, dict]]:
    breakdowns = groupings(current_user)
    shares = child_shares(
        year, today(), child_scope(select(Child)), [(column, labels) for _t, column, labels in breakdowns]
    )
    return [(title, *tables) for (title, _c, _l), tables in zip(breakdowns, shares, strict=True)]


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


@bp.route("/visits.<fmt>")
@permission_required(Permission.CHECK_FILES)
def visit_shares_export(fmt: str):
    year = parse_year(request.args.get("year"), today())
    headers = [
        "",
        _("Weeks with a contact"),
        _("Weeks"),
        _("Share"),
        _("Months with a home visit"),
        _("Months"),
        _("Share"),
        _("With a risk flag: weeks"),
        _("With a risk flag: months"),
    ]
    tables = []
    for title, everyone, risky in _visit_shares(year):
        rows = []
        for group in [*sorted(g for g in everyone if g != "__all__"), "__all__"]:
            if group not in everyone:
                continue
            s, r = everyone[group], risky.get(group)
            rows.append(
                [
                    _("All") if group == "__all__" else group,
                    s.weeks_met,
                    s.weeks,
                    _percent(s.week_share),
                    s.months_met,
                    s.months,
                    _percent(s.month_share),
                    _percent(r.week_share) if r else "—",
                    _percent(r.month_share) if r else "—",
                ]
            )
        tables.append(Table(title, headers, rows))
    title = _("Visits over the year, %(year)d", year=year)
    return send_export(download(fmt, name="visits", title=title, tables=tables, by=current_user))


from app.reports import year_routes  # noqa: E402, F401 - R8 and the school vacations, on this blueprint
