"""Importing children's files: every row checked before any is saved, each row matched to its file, and nothing
added twice silently.

A row is matched by its file number (a file the user may update), else by its ID number, else — a row without an
ID number — by name, date of birth and village: such a match is a *possible duplicate* the user confirms ("the same
child: update file N" or "a different child: add a new file"); until then nothing is saved and the upload waits in
``ChildImport``. A column missing from the sheet keeps what the file holds; an empty cell in a present column
clears it (the required name, gender, date of birth, town and village excepted; an empty status or on-record date
keeps the file's).
"""

from __future__ import annotations

import secrets
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import Role, User
from app.childcare.files import ChildData, check_child_data, save_child
from app.childcare.models import Child, ChildImport, ChildStatus
from app.childcare.services import ChildError, normalise_id_number, today
from app.childcare.transfer import (
    CATEGORIES,
    CLOSE_REASONS,
    COLUMNS,
    GENDERS,
    HEADERS,
    REQUIRED,
    RISK_FLAGS,
    STATUSES,
    UploadRefusedError,
    read_rows,
    split_list,
)
from app.directory.models import Organization, OrganizationKind, Village
from app.extensions import db
from app.permissions import can_edit_child, village_scope
from app.text import has_control_characters

MAX_ROWS = 20000
PROGRESS_EVERY = 250
NEW = "new"  # the choice "a different child: add a new file"
TEXT_COLUMNS = (
    "grade",
    "father_name",
    "mother_name",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "parents_workplace",
    "caregiver_name",
)


class ImportRefusedError(ChildError):
    """Nothing was imported: rows are wrong (listed in the result) or a choice is still to be made."""


@dataclass
class PossibleDuplicate:
    """A row without an ID number that matches files by name, date of birth and village."""

    line: int
    name: str
    birth_date: date
    candidates: list[Child]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[PossibleDuplicate] = field(default_factory=list)
    pending: ChildImport | None = None  # the held upload, while duplicates wait for the user's choice


@dataclass
class _Lookups:
    villages: dict[tuple[str, str], Village]
    allowed: set[int]
    schools: dict[str, int]
    directors: dict[str, User]


def _lookups(by: User) -> _Lookups:
    villages = {(v.town.name_zh, v.name_zh): v for v in db.session.scalars(select(Village).join(Village.town))}
    allowed = set(db.session.scalars(village_scope(select(Village.id), by)))
    schools = {
        o.name_zh: o.id
        for o in db.session.scalars(select(Organization).where(Organization.kind == OrganizationKind.SCHOOL))
    }
    directors = {}
    for user in db.session.scalars(select(User).where(User.role == Role.CHILD_DIRECTOR)):
        for name in (user.username, user.phone):
            if name:
                directors[name] = user
    return _Lookups(villages, allowed, schools, directors)


def _columns(header: list[str]) -> dict[str, int]:
    """Which column holds which field; refuses unknown, repeated or missing required headers."""
    positions: dict[str, int] = {}
    for index, title in enumerate(h.strip() for h in header):
        if not title:
            continue
        if title not in HEADERS:
            raise ChildError("bad_header", _("Unknown column “%(name)s”.", name=title))
        if HEADERS[title] in positions:
            raise ChildError("repeated_header", _("The column “%(name)s” appears twice.", name=title))
        positions[HEADERS[title]] = index
    missing = [h for h, attr in COLUMNS if attr in REQUIRED and attr not in positions]
    if missing:
        raise ChildError("missing_header", _("These columns are needed: %(headers)s", headers="、".join(missing)))
    return positions


def _parse_date(value: str, message: str) -> date:
    try:
        return date.fromisoformat(value.replace("/", "-").replace(".", "-"))
    except ValueError:
        raise ChildError("bad_date", message) from None


def _identity(row: dict, lookups: _Lookups) -> tuple[str, date, Village]:
    """The name, date of birth and village a row names: enough to find its file."""
    name = row["name"]
    if not name:
        raise ChildError("no_name", _("The name is missing."))
    birth = _parse_date(row["birth_date"], _("The date of birth must look like 2015-06-12."))
    town = row["town"] if row["town"].endswith("镇") else row["town"] + "镇"
    if town not in {t for t, _v in lookups.villages}:
        raise ChildError("bad_town", _("Unknown town “%(town)s”.", town=row["town"]))
    village = lookups.villages.get((town, row["village"]))
    if village is None:
        raise ChildError(
            "bad_village", _("Unknown village “%(village)s” in %(town)s.", village=row["village"], town=town)
        )
    if village.id not in lookups.allowed:
        raise ChildError("not_yours", _("You can only file children of your own villages."))
    return name, birth, village


def _match(row: dict, identity: tuple, *, by: User, choice: str | None) -> tuple[Child | None, list[Child]]:
    """(the row's file or None for a new one, the possible duplicates still to be decided)."""
    if row.get("file_number"):
        number = row["file_number"]
        child = db.session.get(Child, int(number)) if number.isdigit() and int(number) < 2**31 else None
        if child is None or not can_edit_child(child, by):
            raise ChildError(
                "bad_file_number",
                _("File number %(number)s is not a file you may update.", number=row["file_number"]),
            )
        return child, []
    if row.get("id_number"):
        number = normalise_id_number(row["id_number"])
        child = db.session.scalar(select(Child).where(Child.id_number == number))
        if child is not None and not can_edit_child(child, by):
            raise ChildError("not_yours", _("A file with this ID number exists in a village you do not look after."))
        return child, []
    name, birth, village = identity
    candidates = list(
        db.session.scalars(
            select(Child)
            .where(
                func.trim(Child.name) == name.strip(),
                Child.birth_date == birth,
                Child.village_id == village.id,
            )
            .order_by(Child.id)
        )
    )
    if not candidates or choice == NEW:
        return None, []
    chosen = next((c for c in candidates if str(c.id) == choice), None)
    return (chosen, []) if chosen is not None else (None, candidates)


def _listed(cell: str, names: dict, code: str, message: str) -> list[str]:
    chosen = []
    for name in split_list(cell):
        if name not in names:
            raise ChildError(code, message % {"name": name})
        chosen.append(str(names[name]))
    return chosen


def _row_data(row: dict, identity: tuple, child: Child | None, lookups: _Lookups) -> ChildData:
    """The file's data with this row's present columns over what the file holds (or a new file's defaults)."""
    name, birth, village = identity
    gender = GENDERS.get(row["gender"].lower())
    if gender is None:
        raise ChildError("bad_gender", _("Gender must be 男 or 女."))
    data = (
        ChildData.of(child)
        if child is not None
        else ChildData(name=name, gender=gender, birth_date=birth, village=village)
    )
    data.name, data.gender, data.birth_date, data.village = name, gender, birth, village
    if "id_number" in row:
        data.id_number = row["id_number"] or None
    if "school" in row:
        if row["school"] and row["school"] not in lookups.schools:
            raise ChildError("bad_school", _("Unknown school “%(name)s”.", name=row["school"]))
        data.school_id = lookups.schools.get(row["school"]) if row["school"] else None
    for key in TEXT_COLUMNS:
        if key in row:
            setattr(data, key, row[key])
    if "categories" in row:
        data.categories = _listed(row["categories"], CATEGORIES, "bad_category", _("Unknown category “%(name)s”."))
    if "risk_flags" in row:
        data.risk_flags = _listed(row["risk_flags"], RISK_FLAGS, "bad_risk_flag", _("Unknown risk flag “%(name)s”."))
    if "director" in row:
        if row["director"] and row["director"] not in lookups.directors:
            raise ChildError("bad_director", _("No child director has the account “%(name)s”.", name=row["director"]))
        data.director = lookups.directors.get(row["director"]) if row["director"] else None
    if row.get("status"):
        if row["status"] not in STATUSES:
            raise ChildError("bad_status", _("The status must be 在档 or 已结案."))
        data.status = STATUSES[row["status"]]
        data.close_reason = None if data.status == ChildStatus.ACTIVE else data.close_reason
    if "close_reason" in row:
        if row["close_reason"] and row["close_reason"] not in CLOSE_REASONS:
            raise ChildError("bad_close_reason", _("Unknown reason for closing “%(name)s”.", name=row["close_reason"]))
        data.close_reason = CLOSE_REASONS.get(row["close_reason"]) if row["close_reason"] else None
    if row.get("on_record_since"):
        data.on_record_since = _parse_date(row["on_record_since"], _("The on-record date must look like 2024-03-01."))
    return data


def import_children_steps(
    raw: bytes,
    filename: str,
    *,
    by: User,
    choices: dict[int, str] | None = None,
    day: date | None = None,
    result: ImportResult | None = None,
) -> Generator[tuple[str, int, int], None, ImportResult]:
    """The import as a generator: yields (phase, rows done, rows in all) every ``PROGRESS_EVERY`` rows, so a page
    can show progress on a file of thousands of rows; fills and returns ``result``. ``choices`` decides the possible
    duplicates ({line: file id, or ``NEW``}). Saves only when every row is valid and decided."""
    result = result if result is not None else ImportResult()
    day, choices = day or today(), choices or {}
    try:
        rows = read_rows(raw, filename)
    except UploadRefusedError as error:
        result.errors.append((1, str(error)))
        return result
    except Exception:
        result.errors.append((1, _("The file could not be read. Please use the template (XLSX or CSV).")))
        return result
    if not rows:
        result.errors.append((1, _("The file is empty.")))
        return result
    try:
        positions = _columns(rows[0])
    except ChildError as error:
        result.errors.append((1, error.message))
        return result
    if len(rows) - 1 > MAX_ROWS:
        result.errors.append((1, _("Too many rows: at most %(n)d per file.", n=MAX_ROWS)))
        return result
    lookups = _lookups(by)
    planned: list[tuple[int, Child | None, ChildData]] = []
    seen_files: dict[int, int] = {}
    seen_numbers: dict[str, int] = {}
    seen_new: dict[tuple, int] = {}
    total = len(rows) - 1
    for line, values in enumerate(rows[1:], start=2):
        if (line - 1) % PROGRESS_EVERY == 0:
            yield "checked", line - 1, total
        if not any(values):
            continue
        if has_control_characters(values):
            result.errors.append((line, _("This row holds invalid control characters. Please remove them.")))
            continue
        row = {attr: (values[i] if i < len(values) else "").strip() for attr, i in positions.items()}
        try:
            identity = _identity(row, lookups)
            child, candidates = _match(row, identity, by=by, choice=choices.get(line))
            if candidates:
                result.duplicates.append(PossibleDuplicate(line, identity[0], identity[1], candidates))
                continue
            data = _row_data(row, identity, child, lookups)
            checked = check_child_data(child or Child(), data, by=by, day=day)
            _not_twice(line, child, checked.id_number, identity, seen_files, seen_numbers, seen_new)
        except ChildError as error:
            result.errors.append((line, error.message))
            continue
        planned.append((line, child, data))
    if result.errors or result.duplicates:
        return result
    for done, (_line, child, data) in enumerate(planned):
        if done % PROGRESS_EVERY == 0:
            yield "saved", done, len(planned)
        changes = save_child(child or Child(), data, by=by, day=day, via="import")
        if child is None:
            result.created += 1
        elif changes:
            result.updated += 1
        else:
            result.unchanged += 1
    record(
        "child.imported",
        actor=by,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        filename=filename[:255],
    )
    return result


def _not_twice(line, child, number, identity, seen_files, seen_numbers, seen_new) -> None:
    """One row per file in an upload: the same file, ID number, or new child twice is refused."""
    name, birth, village = identity
    keys = [(seen_numbers, number)] if number else []
    keys.append((seen_files, child.id) if child is not None else (seen_new, (name.strip(), birth, village.id)))
    for seen, key in keys:
        if key in seen:
            raise ChildError("twice", _("This child is already on line %(line)d of the file.", line=seen[key]))
    for seen, key in keys:
        seen[key] = line


def import_children(
    raw: bytes,
    filename: str,
    *,
    by: User,
    choices: dict[int, str] | None = None,
    day: date | None = None,
    result: ImportResult | None = None,
) -> ImportResult:
    """The import in one go (see ``import_children_steps``)."""
    steps = import_children_steps(raw, filename, by=by, choices=choices, day=day, result=result)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def hold_import(result: ImportResult, raw: bytes, filename: str, *, by: User) -> ChildImport:
    """Keep an upload whose possible duplicates wait for its uploader's choice (nothing else is saved)."""
    pending = ChildImport(token=secrets.token_urlsafe(32), user_id=by.id, filename=filename[:255], content=raw)
    db.session.add(pending)
    db.session.flush()
    result.pending = pending
    return pending


def upload_children(raw: bytes, filename: str, *, by: User, result: ImportResult, day: date | None = None) -> None:
    """Import an upload: all rows saved, or none — refused (``ImportRefusedError``) when a row is wrong, held for the
    user's choice when rows may be files already on record. ``result`` receives the outcome."""
    import_children(raw, filename, by=by, day=day, result=result)
    if result.errors:
        raise ImportRefusedError(
            "rows_wrong", _("Nothing was imported: please correct the rows listed below and upload the file again.")
        )
    if result.duplicates:
        hold_import(result, raw, filename, by=by)


def pending_import(token: str, user: User) -> ChildImport | None:
    """An upload waiting for its choices (not one queued for or being imported by the job): only its own uploader
    may use it."""
    if not token:
        return None
    return db.session.scalar(
        select(ChildImport).where(
            ChildImport.token == token, ChildImport.user_id == user.id, ChildImport.status == "held"
        )
    )


def confirm_import(
    pending: ChildImport, choices: dict[int, str], *, by: User, result: ImportResult, day: date | None = None
) -> None:
    """Apply a held upload with the user's choice for each possible duplicate, then forget it. The rows are checked
    again (files may have changed meanwhile); a row left undecided saves nothing."""
    import_children(pending.content, pending.filename, by=by, choices=choices, day=day, result=result)
    result.pending = pending
    if result.errors:
        raise ImportRefusedError(
            "rows_wrong", _("Nothing was imported: please correct the rows listed below and upload the file again.")
        )
    if result.duplicates:
        raise ImportRefusedError("undecided", _("Please choose for every row listed below."))
    db.session.delete(pending)
    db.session.flush()
    result.pending = None


def discard_import(pending: ChildImport, *, by: User) -> None:
    """Abandon a held upload: nothing of it is saved."""
    record("child.import_discarded", actor=by, filename=pending.filename)
    db.session.delete(pending)
    db.session.flush()


def parse_choices(form) -> dict[int, str]:
    """The choices of the confirmation form: ``row-<line>`` = a file id or ``new``."""
    choices = {}
    for key, value in form.items():
        if key.startswith("row-") and key[4:].isdigit() and (value == NEW or value.isdigit()):
            choices[int(key[4:])] = value
    return choices
