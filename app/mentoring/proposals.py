"""Proposals: a child director proposes a child of their villages to an organization for one-to-one mentoring.
The proposal is the only way a coordinator reaches a child (R9): they see the masked name, village, age, kind and
the needs the director chose to share, and pair the child from it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildStatus
from app.childcare.services import ChildError
from app.db_types import utcnow
from app.directory.models import Organization
from app.extensions import db
from app.mentoring.models import Pairing, PairingKind, PairingProposal, PairingStatus, ProposalStatus
from app.permissions import can_edit_child

NEEDS_MAX = 2000


def open_proposal(child_id: int, organization_id: int, *, lock: bool = False) -> PairingProposal | None:
    """The child's open proposal to the organization, if any (``lock``: held until the transaction ends, so two
    coordinators cannot both take it up)."""
    query = (
        select(PairingProposal)
        .where(
            PairingProposal.child_id == child_id,
            PairingProposal.organization_id == organization_id,
            PairingProposal.status == ProposalStatus.OPEN,
        )
        .order_by(PairingProposal.id)
        .limit(1)
    )
    return db.session.scalar(query.with_for_update() if lock else query)


def propose_child(child: Child, organization: Organization, *, kind: PairingKind, needs: str, by: User):
    """Propose a child to an organization for a mentor. Only someone who may edit the child's file (its child
    director, the administrator) proposes; the file is open and the organization active; a child has at most one
    open proposal per organization and none to an organization it is already paired with."""
    if not can_edit_child(child, by):
        raise ChildError("not_your_child", _("Only the child's director can propose this child for mentoring."))
    if child.status != ChildStatus.ACTIVE:
        raise ChildError("closed", _("This child's file is closed."))
    if not organization.is_active:
        raise ChildError("inactive_organization", _("This organization is no longer active."))
    if len(needs) > NEEDS_MAX:
        raise ChildError("too_long", _("Please write at most %(n)d characters.", n=NEEDS_MAX))
    if open_proposal(child.id, organization.id) is not None:
        raise ChildError("already_proposed", _("This child has already been proposed to this organization."))
    paired = db.session.scalar(
        select(Pairing.id).where(
            Pairing.child_id == child.id,
            Pairing.organization_id == organization.id,
            Pairing.status == PairingStatus.ACTIVE,
        )
    )
    if paired is not None:
        raise ChildError("already_paired", _("This child already has a mentor from this organization."))
    proposal = PairingProposal(
        child_id=child.id,
        organization_id=organization.id,
        kind=kind,
        needs=needs.strip(),
        status=ProposalStatus.OPEN,
        proposed_by_id=by.id,
    )
    db.session.add(proposal)
    db.session.flush()
    record("pairing.proposed", child, actor=by, proposal=proposal.id, organization=organization.id, kind=str(kind))
    return proposal


def withdraw_proposal(proposal: PairingProposal, *, by: User) -> None:
    """The child's director takes back a proposal no coordinator has taken up yet."""
    if not can_edit_child(proposal.child, by):
        raise ChildError("not_your_child", _("Only the child's director can withdraw this proposal."))
    if proposal.status != ProposalStatus.OPEN:
        raise ChildError("not_open", _("This proposal has already been taken up or withdrawn."))
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_at = utcnow()
    db.session.flush()
    record("pairing.proposal_withdrawn", proposal.child, actor=by, proposal=proposal.id)


def accept_proposal(proposal: PairingProposal, pairing: Pairing) -> None:
    """The proposal became ``pairing`` (called by ``create_pairing``, which audits the pairing)."""
    proposal.status = ProposalStatus.ACCEPTED
    proposal.pairing_id = pairing.id
    proposal.decided_at = utcnow()
    db.session.flush()
