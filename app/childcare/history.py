"""A file's history for its own page: who created, changed or closed it, when, and each field's previous and new
value, read from the audit log (``child.updated`` keeps ``changes={field: [old, new]}``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditEntry
from app.auth.models import User
from app.childcare.labels import FIELD_LABELS
from app.childcare.models import Child, ChildCategory, ChildStatus, CloseReason, Gender, RiskFlag
from app.childcare.services import mask_id_number
from app.directory.models import Organization, Village
from app.extensions import db
from app.formatting import day
from app.i18n import localized_name
from app.labels import label

HISTORY_ACTIONS = ("child.created", "child.updated", "child.closed", "child.reopened")
_REFERENCES = {"village_id": Village, "school_id": Organization, "director_id": User}
_VOCABULARIES = {"gender": Gender, "status": ChildStatus, "close_reason": CloseReason}


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    who: str
    action: str
    via: str | None
    changes: list[FieldChange]


def file_history(child: Child, *, full_id: bool) -> list[HistoryEntry]:
    """The file's creation, changes and closing, newest first, in the reader's language. The ID number follows the
    page's masking: whole only when ``full_id`` (``permissions.can_see_full_id``)."""
    entries = db.session.scalars(
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .where(
            AuditEntry.object_type == Child.__tablename__,
            AuditEntry.object_id == child.id,
            AuditEntry.action.in_(HISTORY_ACTIONS),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()
    names = _referenced_names(entries)
    titles = {
        "child.created": _("Created"),
        "child.updated": _("Changed"),
        "child.closed": _("Closed"),
        "child.reopened": _("Reopened"),
    }
    history = []
    for entry in entries:
        changes = [
            FieldChange(
                key,
                str(FIELD_LABELS.get(key, key)),
                _shown(key, values[0], names, full_id),
                _shown(key, values[1], names, full_id),
            )
            for key, values in (entry.detail.get("changes") or {}).items()
        ]
        history.append(
            HistoryEntry(
                at=entry.created_at,
                who=entry.actor.display_name if entry.actor is not None else _("The system"),
                action=titles[entry.action],
                via=entry.detail.get("via"),
                changes=changes,
            )
        )
    return history


def _referenced_names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """The villages, schools and child directors the changes name, loaded at once (no query per change)."""
    wanted: dict[str, set[int]] = {key: set() for key in _REFERENCES}
    for entry in entries:
        for key, values in (entry.detail.get("changes") or {}).items():
            if key in wanted:
                wanted[key].update(v for v in values if isinstance(v, int))
    names = {}
    for key, model in _REFERENCES.items():
        if not wanted[key]:
            continue
        query = select(model).where(model.id.in_(wanted[key]))
        if model is Village:
            query = query.options(selectinload(Village.town))
        for row in db.session.scalars(query):
            if model is Village:
                names[(key, row.id)] = f"{localized_name(row.town)} · {localized_name(row)}"
            elif model is User:
                names[(key, row.id)] = row.name
            else:
                names[(key, row.id)] = localized_name(row)
    return names


def _shown(key: str, value, names: dict, full_id: bool) -> str:
    """One value as the reader sees it: labels translated, places named, dates formatted, the ID number masked."""
    if value in (None, "", []):
        return "—"
    if key in _REFERENCES:
        return names.get((key, value), f"#{value}")
    if key == "id_number":
        return value if full_id else mask_id_number(value)
    if key in ("birth_date", "on_record_since"):
        return day(date.fromisoformat(value), relative=False, weekday=False)
    if key in _VOCABULARIES:
        return str(label(_VOCABULARIES[key](value)))
    if key in ("categories", "risk_flags"):
        vocabulary = ChildCategory if key == "categories" else RiskFlag
        return _(", ").join(str(label(vocabulary(v))) for v in value)
    return str(value)
