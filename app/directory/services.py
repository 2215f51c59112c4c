"""Rules for the directory: adding, editing and deactivating organizations and villages, and the CSV import.

Nothing here hard-deletes: records (accounts, activities, children's files) point at organizations and villages,
so they are deactivated instead and stay readable in history.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import User
from app.directory.models import Organization, OrganizationKind, Town, Village, VillageKind
from app.domain import DomainError
from app.extensions import db
from app.text import has_control_characters

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{1,58}$")
MAX_IMPORT_ROWS = 5000


class DirectoryError(DomainError):
    """A broken rule about organizations, villages or an import."""


def save_organization(organization: Organization, *, by: User, **values) -> Organization:
    """Create (when new) or update an organization; its code must be unique and URL-safe."""
    code = values.get("code", organization.code)
    if not code or not CODE_RE.match(code):
        raise DirectoryError("bad_code", _("Use 2–60 lowercase letters, digits and dashes for the code."), field="code")
    clash = db.session.scalar(
        select(Organization.id).where(Organization.code == code, Organization.id != (organization.id or -1))
    )
    if clash is not None:
        raise DirectoryError("code_taken", _("Another organization already uses this code."), field="code")
    is_new = organization.id is None
    for key, value in values.items():
        setattr(organization, key, value)
    db.session.add(organization)
    db.session.flush()
    record("organization.created" if is_new else "organization.updated", organization, actor=by, code=code)
    return organization


def save_village(village: Village, *, by: User, **values) -> Village:
    """Create or update a village or community; its Chinese name is unique within its town."""
    town_id = values.get("town_id", village.town_id)
    name = values.get("name_zh", village.name_zh)
    clash = db.session.scalar(
        select(Village.id).where(Village.town_id == town_id, Village.name_zh == name, Village.id != (village.id or -1))
    )
    if clash is not None:
        raise DirectoryError(
            "name_taken", _("This town already has a village or community with that name."), field="name_zh"
        )
    is_new = village.id is None
    for key, value in values.items():
        setattr(village, key, value)
    db.session.add(village)
    db.session.flush()
    record("village.created" if is_new else "village.updated", village, actor=by, name=name)
    return village


def set_active(obj: Organization | Village, active: bool, *, by: User) -> None:
    """Deactivate (hide from new choices, keep in history) or reactivate an organization or village."""
    obj.is_active = active
    db.session.flush()
    kind = "village" if isinstance(obj, Village) else "organization"
    record(f"{kind}.{'reactivated' if active else 'deactivated'}", obj, actor=by)


# --- CSV import --------------------------------------------------------------------------------------------------

HEADER_ALIASES = {
    "town": "town",
    "镇": "town",
    "乡镇": "town",
    "所属镇": "town",
    "name_zh": "name_zh",
    "name": "name_zh",
    "名称": "name_zh",
    "中文名称": "name_zh",
    "name_en": "name_en",
    "英文名称": "name_en",
    "english": "name_en",
    "kind": "kind",
    "类型": "kind",
    "code": "code",
    "代码": "code",
}
VILLAGE_KINDS = {
    "village": VillageKind.VILLAGE,
    "村": VillageKind.VILLAGE,
    "community": VillageKind.COMMUNITY,
    "社区": VillageKind.COMMUNITY,
    "": None,
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class ImportRejectedError(DirectoryError):
    """A file with any bad row imports nothing: ``result.errors`` lists each bad row (line, message)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(
            "import_rejected",
            _("Nothing was imported: please correct the rows listed below and upload the file again."),
        )
        self.result = result


# The English names' columns: an import refuses a longer one with a message (PostgreSQL would refuse the row).
ENGLISH_NAME_LENGTH = {model: model.__table__.c.name_en.type.length for model in (Village, Organization)}


def _english_name_too_long(model) -> str:
    return _("The English name is longer than %(n)d characters.", n=ENGLISH_NAME_LENGTH[model])


def decode_csv(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM), else GB18030, which Excel on Chinese Windows writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _find_town(value: str, towns: list[Town]) -> Town | None:
    value = value.strip()
    for town in towns:
        if value in {town.code, town.name_zh, town.name_zh.removesuffix("镇"), town.name_en}:
            return town
    return None


def _read_rows(raw: bytes, required: set[str]) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    try:
        text = decode_csv(raw)
    except UnicodeDecodeError:
        return [], [(1, _("The file is not a readable CSV text file (save it as CSV UTF-8)."))]
    try:
        return _table_rows(csv.reader(io.StringIO(text)), required)
    except csv.Error:  # an unreadable line, or a cell beyond the reader's limit (131,072 characters)
        return [], [(1, _("The file is not a readable CSV table."))]


def _table_rows(reader, required: set[str]) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    header = next(reader, None)
    if not header:
        return [], [(1, _("The file is empty."))]
    columns = [HEADER_ALIASES.get(name.strip().lower(), HEADER_ALIASES.get(name.strip(), "")) for name in header]
    missing = required - set(columns)
    if missing:
        return [], [(1, _("Missing column(s): %(columns)s.", columns=", ".join(sorted(missing))))]
    rows, errors = [], []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if has_control_characters(values):
            errors.append((line, _("This row holds invalid control characters. Please remove them.")))
            continue
        rows.append((line, {col: (v or "").strip() for col, v in zip(columns, values, strict=False) if col}))
        if len(rows) > MAX_IMPORT_ROWS:
            return [], [(line, _("Too many rows: at most %(n)d per file.", n=MAX_IMPORT_ROWS))]
    if not rows and not errors:
        return [], [(2, _("The file has no data rows."))]
    return rows, errors


def import_villages(raw: bytes, *, by: User, result: ImportResult | None = None) -> ImportResult:
    """Load villages and communities from CSV (columns town, name_zh, name_en, kind). All rows or none: a file with
    a bad row raises ``ImportRejectedError`` listing every bad row, before anything is written. The counts and errors go
    into ``result`` when the caller passes one (to show them whatever the outcome)."""
    result = result if result is not None else ImportResult()
    rows, result.errors = _read_rows(raw, {"town", "name_zh"})
    towns = list(db.session.scalars(select(Town)))
    planned: dict[tuple[int, str], tuple[int, dict]] = {}
    for line, row in rows:
        town = _find_town(row.get("town", ""), towns)
        kind_text = row.get("kind", "").lower()
        if town is None:
            result.errors.append((line, _("Unknown town “%(town)s”.", town=row.get("town", ""))))
        elif not row.get("name_zh") or len(row["name_zh"]) > 60:
            result.errors.append((line, _("The Chinese name is missing or longer than 60 characters.")))
        elif len(row.get("name_en", "")) > ENGLISH_NAME_LENGTH[Village]:
            result.errors.append((line, _english_name_too_long(Village)))
        elif kind_text not in VILLAGE_KINDS:
            result.errors.append((line, _("Unknown kind “%(kind)s”: use village or community.", kind=row["kind"])))
        elif (town.id, row["name_zh"]) in planned:
            result.errors.append((line, _("This village appears twice in the file.")))
        else:
            planned[(town.id, row["name_zh"])] = (line, row | {"kind": VILLAGE_KINDS[kind_text]})
    if result.errors:
        raise ImportRejectedError(result)
    for (town_id, name), (_line, row) in planned.items():
        village = db.session.scalar(select(Village).where(Village.town_id == town_id, Village.name_zh == name))
        if village is None:
            village = Village(town_id=town_id, name_zh=name, kind=row["kind"] or VillageKind.VILLAGE)
            db.session.add(village)
            result.created += 1
        else:
            village.is_active = True
            village.kind = row["kind"] or village.kind
            result.updated += 1
        village.name_en = row.get("name_en") or village.name_en or ""
        village.is_demo = False
    db.session.flush()
    record("directory.import", actor=by, what="villages", created=result.created, updated=result.updated)
    return result


def _next_school_code() -> str:
    count = db.session.scalar(select(func.count(Organization.id)).where(Organization.kind == OrganizationKind.SCHOOL))
    number = (count or 0) + 1
    while db.session.scalar(select(Organization.id).where(Organization.code == f"school-{number}")):
        number += 1
    return f"school-{number}"


def import_schools(raw: bytes, *, by: User, result: ImportResult | None = None) -> ImportResult:
    """Load schools from CSV (columns town, name_zh, name_en, code). Matched by code, else by town and name. All rows
    or none, as for villages (``ImportRejectedError``; ``result`` likewise)."""
    result = result if result is not None else ImportResult()
    rows, result.errors = _read_rows(raw, {"town", "name_zh"})
    towns = list(db.session.scalars(select(Town)))
    seen: set[str] = set()
    valid = []
    for line, row in rows:
        town = _find_town(row.get("town", ""), towns)
        code = row.get("code", "").lower()
        if town is None:
            result.errors.append((line, _("Unknown town “%(town)s”.", town=row.get("town", ""))))
        elif not row.get("name_zh") or len(row["name_zh"]) > 120:
            result.errors.append((line, _("The Chinese name is missing or longer than 120 characters.")))
        elif len(row.get("name_en", "")) > ENGLISH_NAME_LENGTH[Organization]:
            result.errors.append((line, _english_name_too_long(Organization)))
        elif code and not CODE_RE.match(code):
            result.errors.append((line, _("Use 2–60 lowercase letters, digits and dashes for the code.")))
        elif code and db.session.scalar(
            select(Organization.id).where(Organization.code == code, Organization.kind != OrganizationKind.SCHOOL)
        ):
            result.errors.append((line, _("The code “%(code)s” is used by a body that is not a school.", code=code)))
        elif (code or row["name_zh"]) in seen:
            result.errors.append((line, _("This school appears twice in the file.")))
        else:
            seen.add(code or row["name_zh"])
            valid.append((town, code, row))
    if result.errors:
        raise ImportRejectedError(result)
    for town, code, row in valid:
        query = select(Organization).where(Organization.kind == OrganizationKind.SCHOOL)
        if code:
            query = query.where(Organization.code == code)
        else:
            query = query.where(Organization.town_id == town.id, Organization.name_zh == row["name_zh"])
        school = db.session.scalar(query)
        if school is None:
            school = Organization(kind=OrganizationKind.SCHOOL, code=code or _next_school_code(), sort_order=1000)
            db.session.add(school)
            result.created += 1
        else:
            school.is_active = True
            result.updated += 1
        school.name_zh, school.town_id, school.is_demo = row["name_zh"], town.id, False
        school.name_en = row.get("name_en") or school.name_en or ""
        db.session.flush()
    record("directory.import", actor=by, what="schools", created=result.created, updated=result.updated)
    return result
