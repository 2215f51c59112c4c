"""R8: a town's yearly progress report, pre-filled with its figures, written and submitted by its supervisor."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.activities.models import Activity, ActivityKind
from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildStatus, Problem, ProblemStatus, Visit, VisitKind
from app.childcare.visits import visits_due
from app.db_types import utcnow
from app.directory.models import Town
from app.domain import DomainError
from app.extensions import db
from app.mentoring.models import Pairing
from app.permissions import Permission, can, can_write_progress_report
from app.reports.models import ProgressReport
from app.reports.periods import Period
from app.reports.queries import held_activities, pairing_active_in
from app.reports.visit_rules import child_shares
from app.timeutils import to_local


def town_figures(town: Town, year: int, today: date) -> dict:
    """The figures a town's report starts from, for ``year``."""
    period = Period("year", date(year, 1, 1), date(year, 12, 31), str(year))
    held = held_activities(period, town_id=town.id)
    kinds = (
        Counter(db.session.scalars(select(Activity.kind).where(Activity.id.in_([a.id for a in held]))))
        if held
        else Counter()
    )
    tasks = Counter(task for a in held for task in (a.plan_tasks or []))
    children = db.session.scalars(
        select(Child).where(Child.town_id == town.id, Child.status == ChildStatus.ACTIVE)
    ).all()
    categories = Counter(c for child in children for c in child.categories)
    visits = Counter(
        db.session.scalars(
            select(Visit.kind)
            .join(Child, Child.id == Visit.child_id)
            .where(Child.town_id == town.id, Visit.visited_on >= period.first, Visit.visited_on <= period.last)
        )
    )
    problems = db.session.execute(
        select(Problem.status, func.count(Problem.id))
        .join(Child, Child.id == Problem.child_id)
        .where(Child.town_id == town.id, Problem.found_on >= period.first, Problem.found_on <= period.last)
        .group_by(Problem.status)
    ).all()
    # Visits up to date is a figure of today: only the current year's report shows it.
    due = visits_due(select(Child).where(Child.town_id == town.id)) if year == today.year else []
    up_to_date = sum(1 for d in due if not d.is_overdue(today))
    ((shares, _risky),) = child_shares(year, today, select(Child).where(Child.town_id == town.id), [("town_id", {})])
    pairings = db.session.scalar(
        select(func.count(Pairing.id))
        .join(Child, Child.id == Pairing.child_id)
        .where(Child.town_id == town.id, pairing_active_in(period))
    )
    return {
        "activities": len(held),
        "kinds": dict(kinds),
        "tasks": dict(sorted(tasks.items())),
        "children": len(children),
        "categories": dict(categories),
        "home_visits": visits.get(VisitKind.HOME, 0),
        "contacts": sum(visits.values()),
        "compliance": (up_to_date, len(due)) if due else None,
        "shares": shares.get("__all__"),
        "problems_found": sum(n for _s, n in problems),
        "problems_resolved": sum(n for s, n in problems if s == ProblemStatus.RESOLVED),
        "pairings": pairings,
        "trainings": kinds.get(ActivityKind.DIRECTOR_TRAINING, 0),
    }


def report_for(town: Town, year: int) -> ProgressReport:
    """The town's report for the year; a new, unsaved one when the town has none yet."""
    report = db.session.scalar(
        select(ProgressReport).where(ProgressReport.town_id == town.id, ProgressReport.year == year)
    )
    if report is None:
        report = ProgressReport(town_id=town.id, year=year)
        report.town = town
    return report


class ReportError(DomainError):
    """A broken rule about a town's progress report."""


SECTIONS = ("achievements", "difficulties", "next_measures")


def _check_writable(report: ProgressReport, by: User) -> None:
    """The town's own supervisor (or the county) writes the report, and only while it is not submitted."""
    if not can_write_progress_report(report.town, by):
        raise ReportError(
            "not_your_town", _("Only the town's child supervisor or the county bureau writes this report.")
        )
    if report.submitted_at is not None:
        raise ReportError(
            "locked", _("This report has already been submitted; the county bureau can return it for revision.")
        )


def _write_sections(report: ProgressReport, sections: dict[str, str]) -> None:
    for name in SECTIONS:
        setattr(report, name, (sections.get(name) or "").strip())


def save_report(report: ProgressReport, *, by: User, **sections: str) -> None:
    """Save the written sections (``achievements``, ``difficulties``, ``next_measures``) of a report not yet
    submitted: a draft may be half-written. A submitted report is locked until the bureau returns it."""
    _check_writable(report, by)
    _write_sections(report, sections)
    db.session.add(report)
    db.session.flush()
    record("progress_report.saved", report, actor=by, town=report.town_id, year=report.year)


def submit_report(report: ProgressReport, *, by: User, **sections: str) -> None:
    """Submit the report to the county bureau with every section written: stamps the time and who, keeps the
    first submission (what R8's deadline is judged on) and locks the report until the bureau returns it."""
    _check_writable(report, by)
    for name in SECTIONS:
        if not (sections.get(name) or "").strip():
            raise ReportError("incomplete", _("Write this section before submitting."), field=name)
    _write_sections(report, sections)
    report.submitted_at = utcnow()
    report.submitted_by_id = by.id
    report.first_submitted_at = report.first_submitted_at or report.submitted_at
    db.session.add(report)
    db.session.flush()
    record("progress_report.submitted", report, actor=by, town=report.town_id, year=report.year)


def return_report(report: ProgressReport, *, by: User, reason: str) -> None:
    """The bureau sends a submitted report back for revision, saying why: it opens again for the town, which sees
    the reason. The first submission still decides whether the report was on time; the audit trail keeps every
    submission."""
    if not can(Permission.VIEW_REPORTS, by):
        raise ReportError("not_the_bureau", _("Only the county bureau returns a report."))
    if report.submitted_at is None:
        raise ReportError("not_submitted", _("Only a submitted report can be returned."))
    if not reason.strip():
        raise ReportError("no_reason", _("Say what the town should revise."), field="reason")
    record(
        "progress_report.returned",
        report,
        actor=by,
        town=report.town_id,
        year=report.year,
        submitted_at=report.submitted_at.isoformat(),
        reason=reason.strip(),
    )
    report.submitted_at = None
    report.submitted_by_id = None
    report.returned_at = utcnow()
    report.return_reason = reason.strip()
    db.session.flush()


def is_returned(report: ProgressReport) -> bool:
    """Sent back for revision and not submitted again yet."""
    return report.submitted_at is None and report.returned_at is not None


def is_late(report: ProgressReport) -> bool:
    """Not before 1 November: first submitted on or after it (a return for revision does not make an on-time report
    late)."""
    first = report.first_submitted_at or report.submitted_at
    return first is not None and to_local(first).date() >= report.deadline
