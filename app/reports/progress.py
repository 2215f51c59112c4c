"""R8: a town's yearly progress report, pre-filled with its figures, written and submitted by its supervisor."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from app.activities.models import Activity, ActivityKind
from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildStatus, Problem, ProblemStatus, Visit, VisitKind
from app.childcare.visits import visits_due
from app.db_types import utcnow
from app.directory.models import Town
from app.extensions import db
from app.mentoring.models import Pairing
from app.reports.models import ProgressReport
from app.reports.periods import Period
from app.reports.queries import held_activities
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
    child_ids = [c.id for c in children]
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
    due = visits_due(select(Child).where(Child.town_id == town.id))
    up_to_date = sum(1 for d in due if not d.is_overdue(today))
    pairings = (
        db.session.scalar(select(func.count(Pairing.id)).where(Pairing.child_id.in_(child_ids))) if child_ids else 0
    )
    return {
        "activities": len(held),
        "kinds": dict(kinds),
        "tasks": dict(sorted(tasks.items())),
        "children": len(children),
        "categories": dict(categories),
        "home_visits": visits.get(VisitKind.HOME, 0),
        "contacts": sum(visits.values()),
        "compliance": (up_to_date, len(due)),
        "problems_found": sum(n for _s, n in problems),
        "problems_resolved": sum(n for s, n in problems if s == ProblemStatus.RESOLVED),
        "pairings": pairings,
        "trainings": kinds.get(ActivityKind.DIRECTOR_TRAINING, 0),
    }


def report_for(town: Town, year: int) -> ProgressReport:
    report = db.session.scalar(
        select(ProgressReport).where(ProgressReport.town_id == town.id, ProgressReport.year == year)
    )
    if report is None:
        report = ProgressReport(town_id=town.id, year=year)
        report.town = town
    return report


def save_report(
    report: ProgressReport, *, achievements: str, difficulties: str, next_measures: str, submit: bool, by: User
) -> None:
    """Save the written sections; submitting stamps the first submission (later edits keep that date)."""
    report.achievements, report.difficulties, report.next_measures = (
        achievements.strip(),
        difficulties.strip(),
        next_measures.strip(),
    )
    if submit and report.submitted_at is None:
        report.submitted_at = utcnow()
        report.submitted_by_id = by.id
    db.session.add(report)
    db.session.flush()
    record(
        "progress_report.submitted" if submit else "progress_report.saved",
        report,
        actor=by,
        town=report.town_id,
        year=report.year,
    )


def is_late(report: ProgressReport) -> bool:
    return report.submitted_at is not None and to_local(report.submitted_at).date() >= report.deadline
