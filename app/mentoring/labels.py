"""Translated titles of pairing vocabularies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mentoring.models import ConsentMethod, PairingKind, PairingStatus

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
