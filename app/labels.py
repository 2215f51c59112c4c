"""Translated titles of the fixed vocabularies (roles, kinds), shared by forms, pages and exports."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from app.auth.models import Role
from app.directory.models import OrganizationKind, VillageKind

ROLE_LABELS = {
    Role.ADMIN: _l("County administrator"),
    Role.COORDINATOR: _l("Organization coordinator"),
    Role.TOWN_SUPERVISOR: _l("Child supervisor"),
    Role.CHILD_DIRECTOR: _l("Child director"),
    Role.VOLUNTEER: _l("Volunteer"),
}

ORGANIZATION_KIND_LABELS = {
    OrganizationKind.COUNTY_BODY: _l("County body"),
    OrganizationKind.TOWN_GOVERNMENT: _l("Town government"),
    OrganizationKind.SOCIAL_WORK_STATION: _l("Social-work station"),
    OrganizationKind.PROTECTION_STATION: _l("Minors protection station"),
    OrganizationKind.SCHOOL: _l("School"),
    OrganizationKind.SOCIAL_ORGANIZATION: _l("Social organization"),
}

VILLAGE_KIND_LABELS = {VillageKind.VILLAGE: _l("Village"), VillageKind.COMMUNITY: _l("Community")}


def _tables() -> tuple[dict, ...]:
    from app.activities.labels import AUDIENCE_LABELS, KIND_LABELS, SAFETY_TOPIC_LABELS, STATUS_LABELS
    from app.childcare.labels import CHILD_LABELS
    from app.mentoring.labels import CONSENT_LABELS, PAIRING_KIND_LABELS, PAIRING_STATUS_LABELS
    from app.notifications.labels import DELIVERY_STATUS_LABELS

    return (
        ROLE_LABELS,
        ORGANIZATION_KIND_LABELS,
        VILLAGE_KIND_LABELS,
        KIND_LABELS,
        SAFETY_TOPIC_LABELS,
        AUDIENCE_LABELS,
        STATUS_LABELS,
        CHILD_LABELS,
        PAIRING_KIND_LABELS,
        CONSENT_LABELS,
        PAIRING_STATUS_LABELS,
        DELIVERY_STATUS_LABELS,
    )


def label(value) -> str:
    """The translated title of any vocabulary member (for templates: ``{{ label(user.role) }}``).

    An enum member is looked up by its own class (several vocabularies have an "other"); a plain string, as stored
    in JSON lists, by its value in the first vocabulary that has it.
    """
    tables = _tables()
    if isinstance(value, StrEnum):
        for table in tables:
            for key, title in table.items():
                if type(key) is type(value) and key == value:
                    return str(title)
    for table in tables:
        if value in table:
            return str(table[value])
    return str(value)
