"""Translated titles of pairing vocabularies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mentoring.models import ConsentMethod, PairingEndCause, PairingKind, PairingStatus, ProposalStatus

PAIRING_KIND_LABELS = {
    PairingKind.ACADEMIC: _l("Academic one-to-one"),
    PairingKind.CARING_MOTHER: _l("Caring mother"),
    PairingKind.COMPANION: _l("Companion"),
}
CONSENT_LABELS = {
    ConsentMethod.WRITTEN: _l("In writing"),
    ConsentMethod.IN_PERSON: _l("In person"),
    ConsentMethod.PHONE: _l("By phone"),
}
PAIRING_STATUS_LABELS = {PairingStatus.ACTIVE: _l("Ongoing"), PairingStatus.ENDED: _l("Ended")}
PROPOSAL_STATUS_LABELS = {
    ProposalStatus.OPEN: _l("Waiting for a mentor"),
    ProposalStatus.ACCEPTED: _l("Paired"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
}
END_CAUSE_LABELS = {PairingEndCause.MENTOR_DELETED: _l("The mentor's account was deleted")}
