"""A volunteer's service record and the certificate (志愿服务记录证明) issued from it.

``service_record`` is the one count of a volunteer's service: "my activities", the certificate page and the
certificate as issued all use it, so they can never disagree. A certificate keeps its figures as they were the day
it was issued, carries a serial number, and a QR code to a public page behind an opaque token that confirms it is
genuine, showing only the volunteer's masked name, the hours, the issuers and the date.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.activities.models import Certificate, Signup, SignupStatus, service_minutes
from app.activities.queries import signups_of
from app.audit.services import record
from app.auth.models import User
from app.childcare.services import mask_name
from app.db_types import utcnow
from app.directory.models import Organization
from app.domain import DomainError
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing
from app.timeutils import to_local

TOKEN_BYTES = 32  # 43 URL-safe characters


class CertificateError(DomainError):
    """A certificate cannot be issued."""


@dataclass
class ServiceRecord:
    """A volunteer's service as it stands: the sign-ups that count, the mentoring minutes per organization."""

    signups: list[Signup]
    activity_minutes: int
    mentoring: list[tuple[Organization, int]] = field(default_factory=list)

    @property
    def mentoring_minutes(self) -> int:
        return sum(minutes for _organization, minutes in self.mentoring)

    @property
    def total_minutes(self) -> int:
        return self.activity_minutes + self.mentoring_minutes

    @property
    def issuers(self) -> list[Organization]:
        """The organizations the hours were served with: each activity's organizing body, each pairing's
        organization (only where some minutes were served)."""
        found = {s.shift.activity.organization.id: s.shift.activity.organization for s in self.signups}
        found.update({organization.id: organization for organization, minutes in self.mentoring if minutes})
        return sorted(found.values(), key=lambda o: (o.sort_order, o.name_zh))

    @property
    def issuer_ids(self) -> list[int]:
        return sorted(o.id for o in self.issuers)


def service_record(user_id: int) -> ServiceRecord:
    """What counts as a volunteer's service: the minutes of each confirmed sign-up (check-in to check-out within the
    shift, or the coordinator's correction; a waitlisted or cancelled sign-up served nothing) plus the minutes of
    every session logged in their pairings as a mentor, ended pairings included."""
    served = [s for s in signups_of(user_id) if s.status == SignupStatus.CONFIRMED and service_minutes(s) > 0]
    rows = db.session.execute(
        select(Pairing.organization_id, func.sum(MentoringSession.minutes))
        .join(MentoringSession.pairing)
        .where(Pairing.mentor_id == user_id)
        .group_by(Pairing.organization_id)
    ).all()
    organizations = _organizations([organization_id for organization_id, _minutes in rows])
    mentoring = [(organizations[organization_id], int(minutes or 0)) for organization_id, minutes in rows]
    mentoring.sort(key=lambda item: (item[0].sort_order, item[0].name_zh))
    return ServiceRecord(served, sum(service_minutes(s) for s in served), mentoring)


def _organizations(ids: list[int]) -> dict[int, Organization]:
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}


def issuers_of(certificate: Certificate) -> list[Organization]:
    """The organizations named on a certificate, as it was issued."""
    found = _organizations(list(certificate.issuer_ids or []))
    return sorted(found.values(), key=lambda o: (o.sort_order, o.name_zh))


def latest_certificate(user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.id.desc()).limit(1)
    )


def is_up_to_date(certificate: Certificate, current: ServiceRecord) -> bool:
    """The certificate says what the volunteer's record says today (same minutes, same issuers)."""
    return (
        certificate.activity_minutes == current.activity_minutes
        and certificate.mentoring_minutes == current.mentoring_minutes
        and sorted(certificate.issuer_ids or []) == current.issuer_ids
    )


def issue_certificate(user: User, *, now: datetime | None = None) -> Certificate:
    """Issue the volunteer's certificate as their record stands today: the activity and mentoring minutes and the
    issuing organizations are kept as they are now, under a serial number (``SH-<year>-<number>``) and an opaque
    random token for the public check. Issuing again when nothing has changed returns the latest certificate
    rather than a second one; there is nothing to certify before any service was recorded."""
    current = service_record(user.id)
    if current.total_minutes <= 0:
        raise CertificateError("no_service", _("There is no recorded service to certify yet."))
    latest = latest_certificate(user.id)
    if latest is not None and is_up_to_date(latest, current):
        return latest
    issued_at = now or utcnow()
    certificate = Certificate(
        serial=f"SH-new-{secrets.token_hex(6)}",  # replaced below, once the row has its number
        token=secrets.token_urlsafe(TOKEN_BYTES),
        user_id=user.id,
        activity_minutes=current.activity_minutes,
        mentoring_minutes=current.mentoring_minutes,
        issuer_ids=current.issuer_ids,
        issued_at=issued_at,
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.serial = f"SH-{to_local(issued_at).year}-{certificate.id:06d}"
    db.session.flush()
    record(
        "certificate.issued",
        certificate,
        actor=user,
        serial=certificate.serial,
        minutes=current.total_minutes,
        issuers=current.issuer_ids,
    )
    return certificate


def certificate_by_token(token: str) -> Certificate | None:
    """The certificate a public check link names, or None (an unknown or malformed token)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.token == token))


def masked_holder_name(certificate: Certificate) -> str:
    """How the public check names the volunteer: 张*明 (a deleted account: "Former volunteer")."""
    user = certificate.user
    return user.display_name if user.anonymised_at is not None else mask_name(user.name)
