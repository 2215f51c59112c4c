"""Rules of pairings: a screened mentor of the organization, the guardian's consent, sessions while it lasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildStatus, ProblemSource
from app.childcare.services import ChildError, raise_problem, today
from app.directory.models import Organization
from app.extensions import db
from app.mentoring.models import ConsentMethod, MentoringSession, Pairing, PairingKind, PairingStatus


def given_name(name: str) -> str:
    """What a mentor sees of the child: the given name (Chinese names put the one-character surname first)."""
    return name[1:] if len(name) > 1 else name


def screening_valid(mentor: User, on: date | None = None) -> bool:
    return mentor.screened_until is not None and mentor.screened_until >= (on or today())


def record_screening(mentor: User, organization: Organization, valid_until: date, *, by: User) -> None:
    """The organization has screened this volunteer or teacher as a mentor until ``valid_until``."""
    if valid_until < today():
        raise ChildError("expired", _("The screening must be valid until today or later."))
    if mentor.organization_id != organization.id:
        raise ChildError("no_organization", _("Only a volunteer or teacher of your organization can be screened."))
    mentor.screened_by_id = organization.id
    mentor.screened_until = valid_until
    record("mentor.screened", mentor, actor=by, until=valid_until.isoformat())


@dataclass
class PairingData:
    child: Child
    mentor: User
    organization: Organization
    kind: PairingKind
    started_on: date
    consent_by: str
    consent_on: date
    consent_method: ConsentMethod
    planned_end: date | None = None
    goal: str = ""
    shared_needs: str = ""


def create_pairing(data: PairingData, *, by: User) -> Pairing:
    """Pair a mentor with a child. The mentor belongs to the organization and is screened; the guardian consented."""
    if data.mentor.organization_id is None:
        raise ChildError("no_organization", _("This mentor belongs to no organization; pair only screened mentors."))
    if data.mentor.organization_id != data.organization.id:
        raise ChildError("other_organization", _("The mentor must belong to your organization."))
    if not screening_valid(data.mentor, data.started_on):
        raise ChildError("not_screened", _("This mentor has no valid screening by your organization."))
    if data.child.status != ChildStatus.ACTIVE:
        raise ChildError("closed", _("This child's file is closed."))
    if not data.consent_by.strip():
        raise ChildError("no_consent", _("Record who gave the guardian's consent."))
    if data.consent_on > today():
        raise ChildError("future_date", _("The date cannot be in the future."))
    if data.planned_end and data.planned_end <= data.started_on:
        raise ChildError("end_before_start", _("The planned end must come after the start."))
    pairing = Pairing(
        child_id=data.child.id,
        mentor_id=data.mentor.id,
        organization_id=data.organization.id,
        kind=data.kind,
        started_on=data.started_on,
        planned_end=data.planned_end,
        goal=data.goal.strip(),
        shared_needs=data.shared_needs.strip(),
        consent_by=data.consent_by.strip(),
        consent_on=data.consent_on,
        consent_method=data.consent_method,
        created_by_id=by.id,
    )
    db.session.add(pairing)
    db.session.flush()
    record("pairing.created", data.child, actor=by, pairing=pairing.id, mentor=data.mentor.id)
    return pairing


def log_session(
    pairing: Pairing, *, held_on: date, minutes: int, what_was_done: str, worry: str, by: User
) -> MentoringSession:
    """The mentor logs a meeting; anything worrying opens a problem on the child's file for the child director."""
    if pairing.status != PairingStatus.ACTIVE:
        raise ChildError("ended", _("This pairing has ended; no more sessions can be logged."))
    if not screening_valid(pairing.mentor):
        raise ChildError(
            "screening_expired", _("Your screening has expired: sessions are paused until your organization renews it.")
        )
    if held_on > today() or held_on < pairing.started_on:
        raise ChildError("bad_date", _("The session date must be between the pairing's start and today."))
    if not 1 <= minutes <= 24 * 60:
        raise ChildError("bad_minutes", _("Please enter the minutes as a number from 1 to 1440."))
    session = MentoringSession(
        pairing_id=pairing.id,
        held_on=held_on,
        minutes=minutes,
        what_was_done=what_was_done.strip(),
        worry=worry.strip(),
    )
    db.session.add(session)
    db.session.flush()
    record("pairing.session_logged", pairing.child, actor=by, pairing=pairing.id, session=session.id)
    if worry.strip():
        raise_problem(
            pairing.child,
            description=worry,
            found_on=held_on,
            by=by,
            source=ProblemSource.MENTORING,
            mentoring_session_id=session.id,
        )
    return session


def end_pairing(pairing: Pairing, reason: str, *, by: User) -> None:
    if pairing.status != PairingStatus.ACTIVE:
        raise ChildError("ended", _("This pairing has ended; no more sessions can be logged."))
    if not reason.strip():
        raise ChildError("reason_required", _("Please give a reason."))
    pairing.status = PairingStatus.ENDED
    pairing.ended_on = today()
    pairing.end_reason = reason.strip()
    record("pairing.ended", pairing.child, actor=by, pairing=pairing.id, reason=reason.strip())
