"""A child's file itself (一人一档): its data checked the same way for the form and the import, which child director
it gets and keeps, every change recorded field by field, and closing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from stdnum.cn import ric

from app.audit.services import record
from app.auth.models import Role, User
from app.childcare.ages import DIFFICULTY_LIMIT, years_before
from app.childcare.labels import FIELD_LABELS
from app.childcare.models import Child, ChildCategory, ChildStatus, CloseReason, Gender, RiskFlag
from app.childcare.services import ChildError, normalise_id_number, today
from app.db_types import utcnow
from app.directory.models import Village
from app.extensions import db
from app.permissions import can_assign_director, is_child_director, may_direct_village


class _Keep:
    """The value of a field nobody asked to change (a column missing from an upload, a field not on the form)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()

# Text fields and their longest value (the columns' sizes): an import is checked against them, not the database.
TEXT_LIMITS = {
    "name": 40,
    "grade": 30,
    "father_name": 40,
    "mother_name": 40,
    "guardian_name": 40,
    "guardian_relation": 20,
    "guardian_phone": 20,
    "parents_workplace": 120,
    "caregiver_name": 40,
}
# Every field of a file whose changes are recorded (``child.updated`` detail ``changes={field: [old, new]}``).
TRACKED = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "village_id",
    "school_id",
    "grade",
    "categories",
    "risk_flags",
    "father_name",
    "mother_name",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "parents_workplace",
    "caregiver_name",
    "director_id",
    "status",
    "close_reason",
    "on_record_since",
)


@dataclass
class ChildData:
    """What a form or an import row says a file holds. ``director`` is ``KEEP`` unless someone chose one (a user,
    or None for no director); ``status`` None keeps the file's status; ``on_record_since`` None: today for a new
    file, kept for an existing one."""

    name: str
    gender: Gender
    birth_date: date
    village: Village
    id_number: str | None = None
    school_id: int | None = None
    grade: str = ""
    categories: list[str] = field(default_factory=list)
    risk_flags: list[str] = field(default_factory=list)
    father_name: str = ""
    mother_name: str = ""
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_phone: str = ""
    parents_workplace: str = ""
    caregiver_name: str = ""
    on_record_since: date | None = None
    director: User | _Keep | None = KEEP
    status: ChildStatus | None = None
    close_reason: CloseReason | None = None

    @classmethod
    def of(cls, child: Child) -> ChildData:
        """The file as it is: the starting point of an import row, whose missing columns keep these values."""
        return cls(
            name=child.name,
            gender=child.gender,
            birth_date=child.birth_date,
            village=child.village,
            id_number=child.id_number,
            school_id=child.school_id,
            grade=child.grade,
            categories=list(child.categories or []),
            risk_flags=list(child.risk_flags or []),
            father_name=child.father_name,
            mother_name=child.mother_name,
            guardian_name=child.guardian_name,
            guardian_relation=child.guardian_relation,
            guardian_phone=child.guardian_phone,
            parents_workplace=child.parents_workplace,
            caregiver_name=child.caregiver_name,
            on_record_since=child.on_record_since,
            status=child.status,
            close_reason=child.close_reason,
        )


@dataclass
class Checked:
    """A file's data once checked: the normalised ID number and the child director it will have."""

    id_number: str | None
    director: User | None


def choose_director(child: Child, village: Village, requested: User | _Keep | None, *, by: User) -> User | None:
    """Which child director a file gets and keeps. A child director's new file is theirs; an edit keeps the
    assigned director (or none) unless the administrator changes it; the administrator may assign any active child
    director who looks after the child's village (or none). Keeping the director is always allowed. Someone else
    naming a director (an import column) may only name the one the file gets anyway; a blank is no request."""
    current = child.director if child.id is not None else None
    if can_assign_director(by):
        chosen = current if requested is KEEP else requested
        # Compared by id: flask-login's UserMixin makes every two users loaded outside a login session "equal".
        if (
            chosen is not None
            and chosen.id != getattr(current, "id", None)
            and not may_direct_village(chosen, village.id)
        ):
            raise ChildError(
                "bad_director",
                _("%(name)s is not an active child director of this village.", name=chosen.name),
                field="director_id",
            )
        return chosen
    outcome = by if child.id is None and is_child_director(by) else current
    if isinstance(requested, User) and requested.id != getattr(outcome, "id", None):
        raise ChildError(
            "director_change",
            _("Only the county administrator can change a file's child director."),
            field="director_id",
        )
    return outcome


def directors_to_choose(child: Child) -> list[User]:
    """The child directors the administrator may pick from for a file: the active ones (with their villages; the
    service checks the village), and the file's own director even if no longer active, so that it can be kept."""
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.villages))
            .where(User.role == Role.CHILD_DIRECTOR, or_(User.is_active, User.id == (child.director_id or -1)))
            .order_by(User.name)
        )
    )


def check_child_data(child: Child, data: ChildData, *, by: User, day: date | None = None) -> Checked:
    """Check a file's data, the same for the form and the import (``day``: Feng County's today by default). A new
    file is for a child under 18; no date is in the future; the file is not on record before the child was born;
    the ID number, when given, is valid, unique and agrees with the birth date; a closed file has its reason."""
    day = day or today()
    for key, limit in TEXT_LIMITS.items():
        if len(getattr(data, key) or "") > limit:
            raise ChildError(
                "too_long", _("%(field)s: at most %(n)d characters.", field=FIELD_LABELS[key], n=limit), field=key
            )
    if not data.name.strip():
        raise ChildError("no_name", _("The name is missing."), field="name")
    if data.birth_date > day:
        raise ChildError("future_birth", _("The date of birth cannot be in the future."), field="birth_date")
    if child.id is None and data.birth_date <= years_before(day, DIFFICULTY_LIMIT):
        raise ChildError("adult", _("A new file is only for a child under 18."), field="birth_date")
    since = data.on_record_since
    if since is not None and since > day:
        raise ChildError("future_since", _("The file cannot be on record from a future day."), field="on_record_since")
    if since is not None and since < data.birth_date:
        raise ChildError(
            "since_before_birth", _("The file cannot be on record before the child was born."), field="on_record_since"
        )
    if data.status == ChildStatus.CLOSED and data.close_reason is None:
        raise ChildError("no_close_reason", _("A closed file needs the reason it was closed."), field="status")
    if data.status == ChildStatus.ACTIVE and data.close_reason is not None:
        raise ChildError("reason_but_active", _("Only a closed file has a reason for closing."), field="status")
    number = normalise_id_number(data.id_number) if data.id_number else None
    if number and ric.get_birth_date(number) != data.birth_date:
        raise ChildError("id_birth_mismatch", _("The ID number does not match the date of birth."), field="id_number")
    if number and db.session.scalar(select(Child.id).where(Child.id_number == number, Child.id != (child.id or -1))):
        raise ChildError("duplicate_id", _("A file with this ID number already exists."), field="id_number")
    return Checked(number, choose_director(child, data.village, data.director, by=by))


def _canonical(values, vocabulary) -> list[str]:
    """A list of codes in the vocabulary's own order, once each: the same set always reads the same."""
    chosen = set(values or [])
    return [member.value for member in vocabulary if member.value in chosen]


def _plain(value):
    """A value as the audit detail keeps it (JSON): codes for enums, ISO dates, lists as they are."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _snapshot(child: Child) -> dict:
    values = {key: _plain(getattr(child, key)) for key in TRACKED}
    values["categories"] = _canonical(child.categories, ChildCategory)
    values["risk_flags"] = _canonical(child.risk_flags, RiskFlag)
    return values


def save_child(child: Child, data: ChildData, *, by: User, day: date | None = None, via: str = "form") -> dict:
    """Create or update a file after ``check_child_data``. An update records which fields changed, with their
    previous and new values (``child.updated``, ``changes={field: [old, new]}``, ``via`` form or import); nothing
    is recorded when nothing changed. Returns the changes ({} for a new file or an unchanged one)."""
    day = day or today()
    checked = check_child_data(child, data, by=by, day=day)
    is_new = child.id is None
    before = {} if is_new else _snapshot(child)
    child.name = data.name.strip()
    child.gender = data.gender
    child.birth_date = data.birth_date
    child.id_number = checked.id_number
    child.village_id = data.village.id
    child.town_id = data.village.town_id
    child.school_id = data.school_id
    for key in ("grade", "father_name", "mother_name", "guardian_name", "guardian_relation", "guardian_phone"):
        setattr(child, key, (getattr(data, key) or "").strip())
    child.parents_workplace = (data.parents_workplace or "").strip()
    child.caregiver_name = (data.caregiver_name or "").strip()
    child.categories = _canonical(data.categories, ChildCategory)
    child.risk_flags = _canonical(data.risk_flags, RiskFlag)
    child.director_id = checked.director.id if checked.director is not None else None
    child.director = checked.director
    if data.on_record_since is not None or is_new:
        child.on_record_since = data.on_record_since or day
    if is_new:
        child.status = data.status or ChildStatus.ACTIVE
    elif data.status is not None:
        child.status = data.status
    if child.status == ChildStatus.CLOSED:
        if child.closed_at is None:
            child.closed_at = utcnow()
        child.close_reason = data.close_reason or child.close_reason
    else:
        child.close_reason, child.closed_at = None, None
    db.session.add(child)
    db.session.flush()
    if is_new:
        record("child.created", child, actor=by, via=via)
        return {}
    after = _snapshot(child)
    changes = {key: [before[key], after[key]] for key in TRACKED if before[key] != after[key]}
    if changes:
        record("child.updated", child, actor=by, via=via, changes=changes)
    return changes


def close_file(child: Child, reason: CloseReason, *, by: User) -> None:
    """Close an active file for a reason (an age limit, parents returned, moved away...); a closed file cannot be
    closed again. The file and its history stay; it leaves the worklists and the visit rules."""
    if child.status == ChildStatus.CLOSED:
        raise ChildError("already_closed", _("This file is already closed."))
    child.status = ChildStatus.CLOSED
    child.close_reason = reason
    child.closed_at = utcnow()
    db.session.flush()
    record(
        "child.closed",
        child,
        actor=by,
        reason=str(reason),
        changes={"status": [ChildStatus.ACTIVE.value, ChildStatus.CLOSED.value], "close_reason": [None, str(reason)]},
    )


def reopen_file(child: Child, *, by: User) -> None:
    """Reopen a closed file (closed by mistake, or the child is left behind again): it is back on the worklists
    and under the visit rules; the closing stays in the file's history."""
    if child.status != ChildStatus.CLOSED:
        raise ChildError("not_closed", _("This file is open."))
    reason = child.close_reason
    child.status = ChildStatus.ACTIVE
    child.close_reason = None
    child.closed_at = None
    db.session.flush()
    record(
        "child.reopened",
        child,
        actor=by,
        changes={
            "status": [ChildStatus.CLOSED.value, ChildStatus.ACTIVE.value],
            "close_reason": [str(reason) if reason else None, None],
        },
    )
