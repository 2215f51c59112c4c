"""Read-side helpers for pairings: a mentor's service minutes (they count as volunteer hours), the organization's
mentors, the proposals waiting for it, and the pairings the system ended that its coordinators have not noted."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.childcare.models import Child
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing, PairingProposal, ProposalStatus


def mentoring_minutes(user_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(MentoringSession.minutes), 0))
        .join(MentoringSession.pairing)
        .where(Pairing.mentor_id == user_id)
    )


def has_pairings(user_id: int) -> bool:
    return db.session.scalar(select(Pairing.id).where(Pairing.mentor_id == user_id).limit(1)) is not None


def mentors_of(organization_id: int | None) -> list[User]:
    """The organization's active volunteers and coordinators: whom it may screen and pair as mentors."""
    if organization_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id == organization_id,
                User.is_active,
                User.role.in_([Role.VOLUNTEER, Role.COORDINATOR]),
            )
            .order_by(User.name)
        )
    )


def open_proposals(organization_id: int | None) -> list[PairingProposal]:
    """Proposals waiting for a mentor: an organization's own, or every organization's (``None``, the county)."""
    query = (
        select(PairingProposal)
        .options(
            selectinload(PairingProposal.child).selectinload(Child.village),
            selectinload(PairingProposal.organization),
        )
        .where(PairingProposal.status == ProposalStatus.OPEN)
        .order_by(PairingProposal.created_at, PairingProposal.id)
    )
    if organization_id is not None:
        query = query.where(PairingProposal.organization_id == organization_id)
    return list(db.session.scalars(query))


def ended_by_system(organization_id: int | None) -> list[Pairing]:
    """Pairings the system ended (their mentor's account was deleted) that no coordinator has noted yet: the
    child needs a new mentor. An organization's own, or every organization's (``None``)."""
    query = (
        select(Pairing)
        .options(selectinload(Pairing.child), selectinload(Pairing.mentor))
        .where(Pairing.end_cause.is_not(None), Pairing.end_noted_at.is_(None))
        .order_by(Pairing.ended_on.desc(), Pairing.id)
    )
    if organization_id is not None:
        query = query.where(Pairing.organization_id == organization_id)
    return list(db.session.scalars(query))


def child_mentoring(child_id: int) -> tuple[list[PairingProposal], list[Pairing]]:
    """A child's proposals and pairings, newest first (for the child's director)."""
    proposals = db.session.scalars(
        select(PairingProposal)
        .options(selectinload(PairingProposal.organization))
        .where(PairingProposal.child_id == child_id)
        .order_by(PairingProposal.created_at.desc(), PairingProposal.id.desc())
    )
    pairings = db.session.scalars(
        select(Pairing)
        .options(selectinload(Pairing.organization), selectinload(Pairing.mentor))
        .where(Pairing.child_id == child_id)
        .order_by(Pairing.started_on.desc(), Pairing.id.desc())
    )
    return list(proposals), list(pairings)
