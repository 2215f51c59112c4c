"""Translated titles of the fixed vocabularies (roles, kinds), shared by forms, pages and exports."""

from __future__ import annotations

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


def label(value) -> str:
    """The translated title of any vocabulary member (for templates: ``{{ label(user.role) }}``)."""
    from app.activities.labels import AUDIENCE_LABELS, KIND_LABELS, SAFETY_TOPIC_LABELS, STATUS_LABELS

    tables = (
        ROLE_LABELS,
        ORGANIZATION_KIND_LABELS,
        VILLAGE_KIND_LABELS,
        KIND_LABELS,
        SAFETY_TOPIC_LABELS,
        AUDIENCE_LABELS,
        STATUS_LABELS,
    )
    for table in tables:
        if value in table:
            return str(table[value])
    return str(value)
