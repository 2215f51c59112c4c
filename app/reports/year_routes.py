"""The reports' yearly calendar, on the reports blueprint: R8's pages (each town's progress report, written and
submitted by its supervisor before 1 November, and the bureau's overview of who submitted, when, and who was late)
and the school vacations the administrator sets for R2 and the vacation reports."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from app.childcare.services import today
from app.directory.models import Town
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.permissions import Permission, can, permission_required, scoped
from app.reports.exports import Table, download
from app.reports.forms import ProgressReportForm, ReturnReportForm, VacationForm
from app.reports.models import ProgressReport
from app.reports.periods import parse_year, save_vacation_dates, vacation
from app.reports.progress import (
    is_late,
    is_returned,
    report_for,
    return_report,
    save_report,
    submit_report,
    town_figures,
)
from app.reports.routes import bp, send_export
from app.timeutils import to_local

FIRST_YEAR = 2024  # the plan's first year: no town reports before it


def _reports_of(year: int) -> dict[int, ProgressReport]:
    return {r.town_id: r for r in db.session.scalars(select(ProgressReport).where(ProgressReport.year == year))}


def _reporting_towns(reports: dict) -> list[Town]:
    """The towns R8 asks a report of (the active ones), and any other that has one for the year."""
    return list(
        db.session.scalars(
            select(Town).where(or_(Town.is_active, Town.id.in_(list(reports)))).order_by(Town.sort_order)
        )
    )


def _town(town_code: str) -> Town:
    return db.session.scalar(select(Town).where(Town.code == town_code)) or abort(404)


@bp.route("/progress")
@permission_required(Permission.VIEW_REPORTS)
def progress_overview():
    """R8 for the bureau: which towns submitted their progress report for the year, when, and who was late."""
    year = parse_year(request.args.get("year"), today())
    reports = _reports_of(year)
    return render_template(
        "reports/progress_overview.html",
        towns=_reporting_towns(reports),
        reports=reports,
        year=year,
        late=is_late,
        returned=is_returned,
    )


@bp.route("/progress.<fmt>")
@permission_required(Permission.VIEW_REPORTS)
def progress_export(fmt: str):
    year = parse_year(request.args.get("year"), today())
    reports = _reports_of(year)
    rows = []
    for town in _reporting_towns(reports):
        report = reports.get(town.id)
        submitted = report is not None and report.submitted_at is not None
        returned = report is not None and is_returned(report)
        rows.append(
            [
                localized_name(town),
                _("Submitted") if submitted else _("Returned for revision") if returned else _("Not submitted"),
                to_local(report.submitted_at).strftime("%Y-%m-%d %H:%M") if submitted else "",
                report.submitted_by.display_name if submitted and report.submitted_by else "",
                _("late") if submitted and is_late(report) else "",
            ]
        )
    table = Table(_("Town progress reports"), [_("Town"), _("Status"), _("Submitted at"), _("By"), _("Late")], rows)
    title = _("Town progress reports, %(year)d", year=year)
    return send_export(download(fmt, name="progress-reports", title=title, tables=[table], by=current_user))


@bp.route("/progress/<town_code>/<int:year>", methods=["GET", "POST"])
@scoped("town_report")
def progress_report(town_code: str, year: int):
    """A town's progress report: figures filled in, three sections written by its supervisor (or the administrator
    for the town), then submitted; a submitted report is locked until the bureau returns it."""
    town = _town(town_code)
    if not FIRST_YEAR <= year <= today().year:
        abort(404)
    report = report_for(town, year)
    form = ProgressReportForm(obj=report)
    status = 200
    if request.method == "POST":
        status = 422
        submit = "submit" in request.form
        sections = {
            "achievements": form.achievements.data or "",
            "difficulties": form.difficulties.data or "",
            "next_measures": form.next_measures.data or "",
        }
        if form.validate_on_submit() and (not submit or form.validate_for_submission()):
            done = apply(
                (lambda: submit_report(report, by=current_user, **sections))
                if submit
                else (lambda: save_report(report, by=current_user, **sections)),
                _("The report has been submitted to the county bureau.") if submit else _("Saved."),
                form=form,
            )
            # Refused because the report is locked: show it as the bureau received it, not the refused text.
            if done or report.submitted_at is not None:
                return redirect(url_for("reports.progress_report", town_code=town.code, year=year))
    return (
        render_template(
            "reports/progress_report.html",
            town=town,
            year=year,
            report=report,
            form=form,
            return_form=ReturnReportForm() if can(Permission.VIEW_REPORTS) else None,
            figures=town_figures(town, year, today()),
            late=is_late(report),
        ),
        status,
    )


@bp.route("/progress/<town_code>/<int:year>/return", methods=["POST"])
@permission_required(Permission.VIEW_REPORTS, scope="town_report")
def return_progress_report(town_code: str, year: int):
    """The bureau sends a submitted report back to the town for revision."""
    town = _town(town_code)
    report = db.session.scalar(
        select(ProgressReport).where(ProgressReport.town_id == town.id, ProgressReport.year == year)
    ) or abort(404)
    form = ReturnReportForm()
    if form.validate_on_submit():
        apply(
            lambda: return_report(report, by=current_user, reason=form.reason.data),
            _("The report has been returned to the town for revision."),
        )
    else:
        _flash_errors(form)
    return redirect(url_for("reports.progress_report", town_code=town.code, year=year))


def _flash_errors(form) -> None:
    """A form posted from another page: its errors as messages on the page it returns to."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.route("/progress/mine")
@permission_required(Permission.CHECK_FILES)
def my_progress_report():
    """A town supervisor's shortcut to this year's report of their town."""
    if current_user.town is None:
        return redirect(url_for("reports.progress_overview"))
    return redirect(url_for("reports.progress_report", town_code=current_user.town.code, year=today().year))


@bp.route("/vacations", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SETTINGS)
def vacations():
    """The administrator sets each year's winter and summer vacation dates (used by R2 and the vacation reports)."""
    year = parse_year(request.values.get("year"), today())
    winter, summer = vacation(year, "winter"), vacation(year, "summer")
    form = VacationForm(
        data={
            "year": year,
            "winter_first": winter[0],
            "winter_last": winter[1],
            "summer_first": summer[0],
            "summer_last": summer[1],
        }
    )
    if form.validate_on_submit() and apply(
        lambda: save_vacation_dates(
            form.year.data,
            (form.winter_first.data, form.winter_last.data),
            (form.summer_first.data, form.summer_last.data),
            by=current_user,
        ),
        _("The vacation dates have been saved."),
        form=form,
    ):
        return redirect(url_for("reports.vacations", year=form.year.data))
    return render_template("reports/vacations.html", form=form), 422 if request.method == "POST" else 200
