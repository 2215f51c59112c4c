"""Rules for children's files: the resident ID number and masking, and the file's timeline entries (visits, work
log, care, problems, checks), each with its audit. The file itself (its data, director, history): ``files.py``."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from app.audit.services import record
from app.auth.models import User
from app.childcare.models import (
    CareAction,
    CareKind,
    CheckLevel,
    Child,
    FileCheck,
    Problem,
    ProblemSource,
    ProblemStatus,
    Visit,
    VisitKind,
    WorkLogEntry,
)
from app.db_types import utcnow
from app.domain import DomainError
from app.extensions import db
from app.permissions import can_record_check
from app.timeutils import to_local


class ChildError(DomainError):
    """A broken rule about children's files, attendance or pairings."""


def today() -> date:
    """Today in Feng County."""
    return to_local(utcnow()).date()


def normalise_id_number(raw: str) -> str:
    """An 18-character resident ID number with a valid region, birth date and check digit (upper-case X)."""
    try:
        return ric.validate(raw.strip().upper())
    except (StdnumError, KeyError, ValueError):  # stdnum raises KeyError for some region codes it half-knows
        raise ChildError(
            "bad_id_number",
            _("This is not a valid resident ID number (18 characters, with a correct check digit)."),
            field="id_number",
        ) from None


def mask_id_number(number: str | None) -> str:
    """``610330********1234``: the region and the last four, never the birth date."""
    if not number:
        return ""
    return number[:6] + "*" * 8 + number[-4:]


def mask_name(name: str) -> str:
    """How a child is named outside the file: 张*明 (surname, a star, the last character); 李* for two characters."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _not_future(day: date) -> None:
    if day > today():
        raise ChildError("future_date", _("The date cannot be in the future."))


def record_visit(
    child: Child,
    *,
    kind: VisitKind,
    visited_on: date,
    findings: str,
    caregiver_ability: str = "",
    psychological_needs: str = "",
    problem: str = "",
    by: User,
) -> Visit:
    """A contact or home visit (R3), with what was found, the entrusted caregiver's ability and psychological needs;
    a problem found on the visit opens a problem on the file (source: the visit)."""
    _not_future(visited_on)
    visit = Visit(
        child_id=child.id,
        kind=kind,
        visited_on=visited_on,
        findings=findings.strip(),
        caregiver_ability=caregiver_ability.strip(),
        psychological_needs=psychological_needs.strip(),
        author_id=by.id,
    )
    db.session.add(visit)
    db.session.flush()
    record("child.visit_recorded", child, actor=by, visit=visit.id, kind=str(kind))
    if problem.strip():
        raise_problem(child, description=problem, found_on=visited_on, by=by, source=ProblemSource.VISIT)
    return visit


def add_work_log(child: Child, *, logged_on: date, text: str, by: User) -> WorkLogEntry:
    """工作日志: a dated note on the child's case, not in the future."""
    _not_future(logged_on)
    entry = WorkLogEntry(child_id=child.id, logged_on=logged_on, text=text.strip(), author_id=by.id)
    db.session.add(entry)
    db.session.flush()
    record("child.work_logged", child, actor=by, entry=entry.id)
    return entry


def add_care_action(
    child: Child, *, kind: CareKind, acted_on: date, organization_id: int | None, notes: str, by: User
) -> CareAction:
    """关爱帮扶: a relief enrolment, rehabilitation, education support or counselling referral, by an organization."""
    _not_future(acted_on)
    action = CareAction(
        child_id=child.id,
        kind=kind,
        acted_on=acted_on,
        organization_id=organization_id,
        notes=notes.strip(),
        author_id=by.id,
    )
    db.session.add(action)
    db.session.flush()
    record("child.care_recorded", child, actor=by, care_action=action.id, kind=str(kind))
    return action


def raise_problem(
    child: Child,
    *,
    description: str,
    found_on: date,
    by: User,
    handler: str = "",
    source: ProblemSource = ProblemSource.FILE,
    activity_id: int | None = None,
    mentoring_session_id: int | None = None,
) -> Problem:
    """A problem found on the child's file for the child director to handle. ``source`` says where it was raised
    (the file, a visit, an activity's attendance, a mentoring session, a check), with the activity or session it
    came from, so the director's worklist can say so in the reader's language; the text is the raiser's own."""
    _not_future(found_on)
    problem = Problem(
        child_id=child.id,
        description=description.strip(),
        found_on=found_on,
        handler=handler.strip(),
        author_id=by.id,
        source=source,
        activity_id=activity_id,
        mentoring_session_id=mentoring_session_id,
    )
    db.session.add(problem)
    db.session.flush()
    record("child.problem_raised", child, actor=by, problem=problem.id, source=str(source))
    _tell_director(child, problem, by)
    return problem


def _tell_director(child: Child, problem: Problem, by: User) -> None:
    """The child's director hears at once of a problem someone else raised on their file (never the child's name:
    the message leaves the site; the file number and where it came from)."""
    if child.director is None or child.director_id == by.id:
        return
    from app.notifications.services import notify

    params = {
        "child": child.id,
        "source": str(problem.source),
        "activity": problem.activity.title if problem.activity is not None else "",
        "author": by.display_name,
    }
    notify("problem_raised", child.director, about=problem, params=params)


def update_problem(problem: Problem, *, status: ProblemStatus, handler: str, solution: str, by: User) -> None:
    """Move a problem along open → in hand → resolved; a resolved problem needs its solution written down."""
    if status == ProblemStatus.RESOLVED and not solution.strip():
        raise ChildError("solution_required", _("Please describe how the problem was solved."))
    problem.status = status
    problem.handler = handler.strip()
    problem.solution = solution.strip()
    problem.resolved_on = today() if status == ProblemStatus.RESOLVED else None
    db.session.flush()
    record("child.problem_updated", problem, actor=by, child=problem.child_id, status=str(status))


def record_file_check(
    child: Child, *, level: CheckLevel, checked_on: date, passed: bool, remarks: str, by: User
) -> FileCheck:
    """R4: a town's full check or the county's spot check of this file. The county's spot check is the county's
    (the administrator's) alone, a town's full check its own supervisor's (``permissions.can_record_check``)."""
    if not can_record_check(child, level, by):
        raise ChildError(
            "check_not_yours",
            _("The county spot check is recorded by the county; a town's full check by that town's supervisor."),
            field="level",
        )
    _not_future(checked_on)
    check = FileCheck(
        child_id=child.id, level=level, checked_on=checked_on, passed=passed, remarks=remarks.strip(), checker_id=by.id
    )
    db.session.add(check)
    db.session.flush()
    record("child.file_checked", child, actor=by, level=str(level), passed=passed)
    return check


def timeline(child: Child) -> list[tuple[date, str, object]]:
    """Every entry of the file, newest first: (date, kind, entry)."""
    entries: list[tuple[date, str, object]] = []
    for kind, model, day in (
        ("visit", Visit, Visit.visited_on),
        ("log", WorkLogEntry, WorkLogEntry.logged_on),
        ("care", CareAction, CareAction.acted_on),
        ("problem", Problem, Problem.found_on),
        ("check", FileCheck, FileCheck.checked_on),
    ):
        for row in db.session.scalars(select(model).where(model.child_id == child.id)):
            entries.append((getattr(row, day.key), kind, row))
    from app.childcare.models import Attendance

    for attendance in db.session.scalars(select(Attendance).where(Attendance.child_id == child.id)):
        entries.append((to_local(attendance.activity.starts_at).date(), "attendance", attendance))
    from app.mentoring.models import MentoringSession, Pairing

    sessions = select(MentoringSession).join(MentoringSession.pairing).where(Pairing.child_id == child.id)
    for session in db.session.scalars(sessions):
        entries.append((session.held_on, "session", session))
    entries.sort(key=lambda item: (item[0], item[2].created_at), reverse=True)
    return entries
