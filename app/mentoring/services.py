"""Rules of pairings: a child proposed by their director, a screened mentor of the organization, the guardian's
consent, sessions while it lasts; a pairing the system ended stays on the coordinator's list until noted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildStatus, ProblemSource
from app.childcare.services import ChildError, raise_problem, today
from app.db_types import utcnow
from app.directory.models import Organization
from app.extensions import db
from app.mentoring.models import ConsentMethod, MentoringSession, Pairing, PairingKind, PairingStatus
from app.mentoring.proposals import accept_proposal, open_proposal


def given_name(name: str) -> str:
    """What a mentor sees of the child: the given name (Chinese names put the one-character surname first)."""
    return name[1:] if len(name) > 1 else name


def screening_valid(mentor: User, on: date | None = None) -> bool:
    """Screened by an organization until ``on`` (default today) or later: only then may a mentor be paired or log
    sessions."""
    return mentor.screened_until is not None and mentor.screened_until >= (on or today())


def record_screening(mentor: User, organization: Organization, valid_until: date, *, by: User) -> None:
    """The organization has screened this volunteer or teacher as a mentor until ``valid_until`` (today or later):
    only an active account of the organization itself."""
    if valid_until < today():
        raise ChildError("expired", _("The screening must be valid until today or later."))
    if not mentor.is_active or mentor.organization_id != organization.id:
        raise ChildError("no_organization", _("Only a volunteer or teacher of your organization can be screened."))
    mentor.screened_by_id = organization.id
    mentor.screened_until = valid_until
    db.session.flush()
    record("mentor.screened", mentor, actor=by, organization=organization.id, until=valid_until.isoformat())


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
    """Pair a mentor with a child the child's director proposed to this organization (the proposal becomes the
    pairing). The mentor belongs to the organization and is screened; the guardian consented."""
    proposal = open_proposal(data.child.id, data.organization.id, lock=True)
    if proposal is None:
        raise ChildError(
            "no_proposal", _("Only a child proposed to your organization by the child's director can be paired.")
        )
    if data.mentor.organization_id is None:
        raise ChildError(
            "no_organization",
            _("This mentor belongs to no organization; pair only screened mentors."),
            field="mentor_id",
        )
    if data.mentor.organization_id != data.organization.id or not data.mentor.is_active:
        raise ChildError("other_organization", _("The mentor must belong to your organization."), field="mentor_id")
    if not screening_valid(data.mentor, data.started_on):
        raise ChildError(
            "not_screened", _("This mentor has no valid screening by your organization."), field="mentor_id"
        )
    if data.child.status != ChildStatus.ACTIVE:
        raise ChildError("closed", _("This child's file is closed."))
    if not data.consent_by.strip():
        raise ChildError("no_consent", _("Record who gave the guardian's consent."), field="consent_by")
    if data.consent_on > today():
        raise ChildError("future_date", _("The date cannot be in the future."), field="consent_on")
    if data.consent_on > data.started_on:
        raise ChildError(
            "consent_after_start", _("The guardian's consent must come before the pairing starts."), field="consent_on"
        )
    if data.planned_end and data.planned_end <= data.started_on:
        raise ChildError("end_before_start", _("The planned end must come after the start."), field="planned_end")
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
    accept_proposal(proposal, pairing)
    record("pairing.created", data.child, actor=by, pairing=pairing.id, mentor=data.mentor.id, proposal=proposal.id)
    return pairing


def log_session(
    pairing: Pairing, *, held_on: date, minutes: int, what_was_done: str, worry: str, by: User
) -> MentoringSession:
    """The pairing's own mentor logs a meeting while the pairing lasts and their screening is valid; anything
    worrying opens a problem on the child's file, in the mentor's own words, for the child director."""
    if by.id != pairing.mentor_id:
        raise ChildError("not_your_pairing", _("Only the pairing's mentor logs its sessions."))
    if pairing.status != PairingStatus.ACTIVE:
        raise ChildError("ended", _("This pairing has ended; no more sessions can be logged."))
    if not screening_valid(pairing.mentor):
        raise ChildError(
            "screening_expired", _("Your screening has expired: sessions are paused until your organization renews it.")
        )
    if held_on > today() or held_on < pairing.started_on:
        raise ChildError(
            "bad_date", _("The session date must be between the pairing's start and today."), field="held_on"
        )
    if not 1 <= minutes <= 24 * 60:
        raise ChildError("bad_minutes", _("Please enter the minutes as a number from 1 to 1440."), field="minutes")
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
    """The coordinator ends an ongoing pairing today, saying why (sessions stop; the history stays)."""
    if pairing.status != PairingStatus.ACTIVE:
        raise ChildError("already_ended", _("This pairing has already ended."))
    if not reason.strip():
        raise ChildError("reason_required", _("Please give a reason."))
    pairing.status = PairingStatus.ENDED
    pairing.ended_on = today()
    pairing.end_reason = reason.strip()
    db.session.flush()
    record("pairing.ended", pairing.child, actor=by, pairing=pairing.id, reason=reason.strip())


def note_pairing_end(pairing: Pairing, *, by: User) -> None:
    """A coordinator has taken note of a pairing the system ended (its mentor's account was deleted): it leaves
    their list. Noting it twice changes nothing; a pairing ended by hand has nothing to note."""
    if pairing.end_cause is None:
        raise ChildError("not_ended_by_system", _("This pairing was not ended by the system."))
    if pairing.end_noted_at is not None:
        return
    pairing.end_noted_at = utcnow()
    db.session.flush()
    record("pairing.end_noted", pairing.child, actor=by, pairing=pairing.id, cause=str(pairing.end_cause))


def end_pairings_of_deleted_mentor(mentor: User) -> list[Pairing]:
    """A mentor deleted their account: each of their active pairings ends today with ``end_cause``
    MENTOR_DELETED, so no child stays paired with an account that no longer exists; it stays on the coordinator's
    list until they note it and find the child a new mentor. Part of the account deletion's one transaction.

    Recorded as the system, as a waitlist promotion is: the mentor chose to leave, not to end each pairing, and
    their anonymised account could not say who they were anyway."""
    from sqlalchemy import select

    from app.audit.services import SYSTEM
    from app.mentoring.models import PairingEndCause

    pairings = list(
        db.session.scalars(
            select(Pairing).where(Pairing.mentor_id == mentor.id, Pairing.status == PairingStatus.ACTIVE)
        )
    )
    for pairing in pairings:
        pairing.status = PairingStatus.ENDED
        pairing.ended_on = today()
        pairing.end_cause = PairingEndCause.MENTOR_DELETED
    db.session.flush()
    for pairing in pairings:
        record("pairing.ended", pairing.child, actor=SYSTEM, pairing=pairing.id, cause=str(pairing.end_cause))
    return pairings
