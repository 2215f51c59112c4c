"""Children's files in and out: a template with Chinese headers, an all-or-nothing import keyed by the ID number,
and an XLSX export of the files a user may see (audited; it holds sensitive data of minors)."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import Role, User
from app.childcare.models import Child, ChildCategory, Gender
from app.childcare.services import ChildData, ChildError, check_child_data, normalise_id_number, save_child
from app.directory.models import Town, Village
from app.directory.services import decode_csv
from app.extensions import db
from app.permissions import can_edit_child

# (header, attribute); the header row of the template, the import and the export.
COLUMNS = [
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("身份证号", "id_number"),
    ("镇", "town"),
    ("村（社区）", "village"),
    ("年级", "grade"),
    ("儿童类别", "categories"),
    ("父亲姓名", "father_name"),
    ("母亲姓名", "mother_name"),
    ("监护人姓名", "guardian_name"),
    ("与儿童关系", "guardian_relation"),
    ("监护人电话", "guardian_phone"),
    ("父母务工地", "parents_workplace"),
    ("委托照护人", "caregiver_name"),
]
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "male": Gender.MALE, "female": Gender.FEMALE}
MAX_ROWS = 20000


CATEGORY_ZH = {
    ChildCategory.LEFT_BEHIND: "农村留守儿童",
    ChildCategory.ORPHAN: "孤儿",
    ChildCategory.UNSUPPORTED: "事实无人抚养儿童",
    ChildCategory.DISABLED: "残疾儿童",
    ChildCategory.SERIOUSLY_ILL: "重病儿童",
    ChildCategory.LOW_INCOME: "低保/特困家庭儿童",
    ChildCategory.OTHER_DIFFICULTY: "其他困境儿童",
}
GENDER_ZH = {Gender.MALE: "男", Gender.FEMALE: "女"}


def category_names() -> dict[str, ChildCategory]:
    """Both the Chinese titles (农村留守儿童 ...) and the codes (left_behind ...) are accepted."""
    names = {c.value: c for c in ChildCategory}
    names.update(
        {
            "农村留守儿童": ChildCategory.LEFT_BEHIND,
            "孤儿": ChildCategory.ORPHAN,
            "事实无人抚养儿童": ChildCategory.UNSUPPORTED,
            "残疾儿童": ChildCategory.DISABLED,
            "重病儿童": ChildCategory.SERIOUSLY_ILL,
            "低保/特困家庭儿童": ChildCategory.LOW_INCOME,
            "低保家庭儿童": ChildCategory.LOW_INCOME,
            "特困家庭儿童": ChildCategory.LOW_INCOME,
            "其他困境儿童": ChildCategory.OTHER_DIFFICULTY,
        }
    )
    return names


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "儿童档案"
    sheet.append([header for header, _attr in COLUMNS])
    sheet.append(
        [
            "王小明",
            "男",
            "2015-06-12",
            "",
            "双石铺镇",
            "凤凰村",
            "三年级",
            "农村留守儿童；低保/特困家庭儿童",
            "王大山",
            "李秀英",
            "王奶奶",
            "祖母",
            "13900000000",
            "西安",
            "王奶奶",
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _rows(raw: bytes, filename: str) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).active
        return [
            ["" if v is None else (v.isoformat()[:10] if isinstance(v, date) else str(v)).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return [[v.strip() for v in row] for row in csv.reader(io.StringIO(decode_csv(raw)))]


PROGRESS_EVERY = 250


def import_children(raw: bytes, filename: str, *, by: User) -> ImportResult:
    """Validate every row first; only when all are valid are they saved (the ID number finds existing files)."""
    steps = import_children_steps(raw, filename, by=by)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def count_rows(raw: bytes, filename: str) -> int:
    """Data rows in an upload (0 when it cannot be read): large files get a page that shows progress."""
    try:
        return max(0, len(_rows(raw, filename)) - 1)
    except Exception:
        return 0


def import_children_steps(
    raw: bytes, filename: str, *, by: User
) -> Generator[tuple[str, int, int], None, ImportResult]:
    """The import as a generator: yields (phase, rows done, rows in all) every ``PROGRESS_EVERY`` rows, so a page
    can show progress on a file of thousands of rows; returns the ImportResult."""
    result = ImportResult()
    try:
        rows = _rows(raw, filename)
    except Exception:
        result.errors.append((1, _("The file could not be read. Please use the template (XLSX or CSV).")))
        return result
    if not rows or [h.strip() for h in rows[0][: len(COLUMNS)]] != [h for h, _attr in COLUMNS]:
        result.errors.append(
            (1, _("The header row must be the template's: %(headers)s", headers="、".join(h for h, _attr in COLUMNS)))
        )
        return result
    if len(rows) - 1 > MAX_ROWS:
        result.errors.append((1, _("Too many rows: at most %(n)d per file.", n=MAX_ROWS)))
        return result
    villages = {(v.town.name_zh, v.name_zh): v for v in db.session.scalars(select(Village).join(Village.town))}
    allowed = {v.id for v in villages.values() if by.role == Role.ADMIN or v in by.villages}
    towns = {t.name_zh for t in db.session.scalars(select(Town))}
    categories = category_names()
    planned = []
    seen_ids = set()
    total = len(rows) - 1
    for line, values in enumerate(rows[1:], start=2):
        if (line - 1) % PROGRESS_EVERY == 0:
            yield "checked", line - 1, total
        if not any(values):
            continue
        row = dict(zip((attr for _h, attr in COLUMNS), values + [""] * len(COLUMNS), strict=False))
        try:
            data = _row_data(row, villages, towns, categories)
            if data.village.id not in allowed:
                raise ChildError("not_yours", _("You can only file children of your own villages."))
            existing = _existing(data.id_number)
            number = check_child_data(data, is_new=existing is None, child_id=existing.id if existing else None)
            if number:
                if number in seen_ids:
                    raise ChildError("duplicate_row", _("This ID number appears twice in the file."))
                if existing is not None and not can_edit_child(existing, by):
                    raise ChildError(
                        "not_yours", _("A file with this ID number exists in a village you do not look after.")
                    )
                seen_ids.add(number)
        except ChildError as error:
            result.errors.append((line, error.message))
            continue
        planned.append((line, data))
    if result.errors:
        return result
    for done, (_line, data) in enumerate(planned, start=1):
        if done % PROGRESS_EVERY == 0:
            yield "saved", done, len(planned)
        existing = _existing(data.id_number)
        save_child(existing or Child(), data, by=by)
        result.created += existing is None
        result.updated += existing is not None
    record("child.imported", actor=by, created=result.created, updated=result.updated)
    return result


def _existing(id_number: str | None) -> Child | None:
    if not id_number:
        return None
    try:
        number = normalise_id_number(id_number)
    except ChildError:
        return None
    return db.session.scalar(select(Child).where(Child.id_number == number))


def _row_data(row: dict, villages: dict, towns: set, categories: dict) -> ChildData:
    if not row["name"]:
        raise ChildError("no_name", _("The name is missing."))
    gender = GENDERS.get(row["gender"].lower())
    if gender is None:
        raise ChildError("bad_gender", _("Gender must be 男 or 女."))
    try:
        birth = date.fromisoformat(row["birth_date"].replace("/", "-"))
    except ValueError:
        raise ChildError("bad_date", _("The date of birth must look like 2015-06-12.")) from None
    town = row["town"] if row["town"].endswith("镇") else row["town"] + "镇"
    if town not in towns:
        raise ChildError("bad_town", _("Unknown town “%(town)s”.", town=row["town"]))
    village = villages.get((town, row["village"]))
    if village is None:
        raise ChildError(
            "bad_village", _("Unknown village “%(village)s” in %(town)s.", village=row["village"], town=town)
        )
    chosen = []
    for name in [
        n.strip() for n in row["categories"].replace(",", "；").replace("，", "；").replace(";", "；").split("；")
    ]:
        if not name:
            continue
        if name not in categories:
            raise ChildError("bad_category", _("Unknown category “%(name)s”.", name=name))
        chosen.append(str(categories[name]))
    return ChildData(
        name=row["name"],
        gender=gender,
        birth_date=birth,
        village=village,
        id_number=row["id_number"] or None,
        grade=row["grade"],
        categories=chosen,
        father_name=row["father_name"],
        mother_name=row["mother_name"],
        guardian_name=row["guardian_name"],
        guardian_relation=row["guardian_relation"],
        guardian_phone=row["guardian_phone"],
        parents_workplace=row["parents_workplace"],
        caregiver_name=row["caregiver_name"],
    )


def export_xlsx(children: list[Child], *, by: User, scope: str) -> bytes:
    """The files ``by`` may see, one row each, in the template's columns (so an export can be re-imported)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "儿童档案"
    sheet.append([header for header, _attr in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for child in children:
        sheet.append(
            [
                child.name,
                GENDER_ZH[child.gender],
                child.birth_date.isoformat(),
                child.id_number or "",
                child.town.name_zh,
                child.village.name_zh,
                child.grade,
                "；".join(CATEGORY_ZH[ChildCategory(c)] for c in child.categories),
                child.father_name,
                child.mother_name,
                child.guardian_name,
                child.guardian_relation,
                child.guardian_phone,
                child.parents_workplace,
                child.caregiver_name,
            ]
        )
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    record("child.exported", actor=by, count=len(children), scope=scope)
    return buffer.getvalue()
