"""Children's files as a sheet: the columns (Chinese headers, every field of the file), the template, the export of
the files a user may see (masked as the page masks them; audited: it holds sensitive data of minors), and reading
an upload. The import itself is ``imports.py``; an export imported again changes nothing."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime

from flask_babel import gettext as _

from app.audit.services import record
from app.auth.models import User
from app.childcare.models import Child, ChildCategory, ChildStatus, CloseReason, Gender, RiskFlag
from app.childcare.services import mask_id_number
from app.directory.services import decode_csv
from app.export_cells import make_sheet_inert
from app.permissions import can_see_full_id
from app.spreadsheets import fit_widths, prepare_for_print

# (header, attribute): the template's, the export's and the import's columns. An upload may leave columns out
# (their values are kept) or order them differently; these must be there to find or create a file.
COLUMNS = [
    ("档案编号", "file_number"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("身份证号", "id_number"),
    ("镇", "town"),
    ("村（社区）", "village"),
    ("学校", "school"),
    ("年级", "grade"),
    ("儿童类别", "categories"),
    ("重点关注情形", "risk_flags"),
    ("父亲姓名", "father_name"),
    ("母亲姓名", "mother_name"),
    ("监护人姓名", "guardian_name"),
    ("与儿童关系", "guardian_relation"),
    ("监护人电话", "guardian_phone"),
    ("父母务工地", "parents_workplace"),
    ("委托照护人", "caregiver_name"),
    ("儿童主任账号", "director"),
    ("档案状态", "status"),
    ("结案原因", "close_reason"),
    ("建档日期", "on_record_since"),
]
HEADERS = dict(COLUMNS)
REQUIRED = ("name", "gender", "birth_date", "town", "village")
LIST_SEPARATOR = "；"

GENDER_ZH = {Gender.MALE: "男", Gender.FEMALE: "女"}
CATEGORY_ZH = {
    ChildCategory.LEFT_BEHIND: "农村留守儿童",
    ChildCategory.ORPHAN: "孤儿",
    ChildCategory.UNSUPPORTED: "事实无人抚养儿童",
    ChildCategory.DISABLED: "残疾儿童",
    ChildCategory.SERIOUSLY_ILL: "重病儿童",
    ChildCategory.LOW_INCOME: "低保/特困家庭儿童",
    ChildCategory.OTHER_DIFFICULTY: "其他困境儿童",
}
RISK_ZH = {
    RiskFlag.PARENT_DISABILITY: "父母一方重度残疾或患有精神疾病",
    RiskFlag.CHILD_DISABILITY: "儿童本人残疾",
    RiskFlag.BEHAVIOUR: "儿童存在心理或行为异常",
}
STATUS_ZH = {ChildStatus.ACTIVE: "在档", ChildStatus.CLOSED: "已结案"}
CLOSE_ZH = {
    CloseReason.TURNED_18: "年满18周岁",
    CloseReason.PARENTS_RETURNED: "父母返乡",
    CloseReason.MOVED_AWAY: "迁出",
    CloseReason.AGE_LIMIT: "达到年龄上限",
    CloseReason.OTHER: "其他原因",
}


def _names(table: dict, *extra: tuple[str, object]) -> dict[str, object]:
    """A vocabulary's accepted cell values: its Chinese titles and its codes (and a few common variants)."""
    names = {member.value: member for member in table}
    names.update({title: member for member, title in table.items()})
    names.update(dict(extra))
    return names


GENDERS = _names(GENDER_ZH)
CATEGORIES = _names(CATEGORY_ZH, ("低保家庭儿童", ChildCategory.LOW_INCOME), ("特困家庭儿童", ChildCategory.LOW_INCOME))
RISK_FLAGS = _names(RISK_ZH)
STATUSES = _names(STATUS_ZH, ("已关闭", ChildStatus.CLOSED), ("结案", ChildStatus.CLOSED))
CLOSE_REASONS = _names(CLOSE_ZH, ("年满 18 周岁", CloseReason.TURNED_18))


def category_names() -> dict[str, ChildCategory]:
    """Both the Chinese titles (农村留守儿童 ...) and the codes (left_behind ...) are accepted."""
    return dict(CATEGORIES)


def split_list(cell: str) -> list[str]:
    """A list cell: values separated by ；, ; or a comma (Chinese or not)."""
    for separator in (",", "，", ";"):
        cell = cell.replace(separator, LIST_SEPARATOR)
    return [value.strip() for value in cell.split(LIST_SEPARATOR) if value.strip()]


def _workbook(rows: list[list]) -> bytes:
    from openpyxl import Workbook  # imported here: only staff exports need it (a worker's memory)
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "儿童档案"
    sheet.append([header for header, _attr in COLUMNS])
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    make_sheet_inert(sheet)
    fit_widths(sheet)
    prepare_for_print(sheet, title_rows=1)
    values = workbook.create_sheet("填写说明")
    values.append(["列", "可填写的值"])
    for header, table in (
        ("性别", GENDER_ZH),
        ("儿童类别", CATEGORY_ZH),
        ("重点关注情形", RISK_ZH),
        ("档案状态", STATUS_ZH),
        ("结案原因", CLOSE_ZH),
    ):
        values.append([header, LIST_SEPARATOR.join(table.values())])
    values.append(["档案编号", "导出时填好；新建档案留空"])
    values.append(["儿童主任账号", "儿童主任的登录账号（仅县级管理员可更改）"])
    values.append(["建档日期", "留空：新建档案为今天，已有档案保持不变"])
    values.append(["（缺少某列）", "该列的内容保持不变；某格留空则清空该项"])
    fit_widths(values, widths={"B": 60})
    prepare_for_print(values, title_rows=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx() -> bytes:
    """The template: every column and one example row."""
    example = {
        "name": "王小明",
        "gender": "男",
        "birth_date": "2015-06-12",
        "town": "双石铺镇",
        "village": "凤凰村",
        "grade": "三年级",
        "categories": "农村留守儿童；低保/特困家庭儿童",
        "father_name": "王大山",
        "mother_name": "李秀英",
        "guardian_name": "王奶奶",
        "guardian_relation": "祖母",
        "guardian_phone": "13900000000",
        "parents_workplace": "西安",
        "caregiver_name": "王奶奶",
        "status": STATUS_ZH[ChildStatus.ACTIVE],
    }
    return _workbook([[example.get(attr, "") for _h, attr in COLUMNS]])


def export_row(child: Child, *, full_id: bool) -> list:
    """One file in the columns' order: what the import reads back to the same file."""
    values = {
        "file_number": child.id,
        "name": child.name,
        "gender": GENDER_ZH[child.gender],
        "birth_date": child.birth_date.isoformat(),
        "id_number": (child.id_number if full_id else mask_id_number(child.id_number)) or "",
        "town": child.town.name_zh,
        "village": child.village.name_zh,
        "school": child.school.name_zh if child.school else "",
        "grade": child.grade,
        "categories": LIST_SEPARATOR.join(CATEGORY_ZH[ChildCategory(c)] for c in child.categories or []),
        "risk_flags": LIST_SEPARATOR.join(RISK_ZH[RiskFlag(r)] for r in child.risk_flags or []),
        "father_name": child.father_name,
        "mother_name": child.mother_name,
        "guardian_name": child.guardian_name,
        "guardian_relation": child.guardian_relation,
        "guardian_phone": child.guardian_phone,
        "parents_workplace": child.parents_workplace,
        "caregiver_name": child.caregiver_name,
        "director": child.director.login_name if child.director else "",
        "status": STATUS_ZH[child.status],
        "close_reason": CLOSE_ZH[child.close_reason] if child.close_reason else "",
        "on_record_since": child.on_record_since.isoformat() if child.on_record_since else "",
    }
    return [values[attr] for _h, attr in COLUMNS]


def export_xlsx(children: list[Child], *, by: User, scope: str) -> bytes:
    """The files ``by`` may see, one row each, in the template's columns (so an export can be imported again). The
    whole ID number only where the page shows it (the administrator, the child's own director), else masked."""
    body = _workbook([export_row(child, full_id=can_see_full_id(child, by)) for child in children])
    record("child.exported", actor=by, count=len(children), scope=scope)
    return body


def _cell(value) -> str:
    """A cell as text: dates as 2015-06-12, whole numbers without ``.0`` (a phone number typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# An upload's limits, checked before parsing: the documented rows (a header and 20,000 children), the XLSX's unpacked
# size (a 4 MB upload of real data unpacks to well under 100 MB) and its packing ratio (a zip bomb packs far tighter).
MAX_UPLOAD_ROWS = 20_001
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 500


class UploadRefusedError(ValueError):
    """An upload refused before it is parsed; the message says why, in the user's language."""


def check_xlsx(raw: bytes) -> None:
    """Refuse an XLSX whose parts unpack too large or too tightly (a zip bomb), or whose first sheet declares more
    rows than allowed (``<dimension ref="A1:Z100000">``), reading only the zip directory and the sheet's first bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadRefusedError(_("The file could not be read. Please use the template (XLSX or CSV).")) from None
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise UploadRefusedError(_("The file unpacks too large to be read."))
    for entry in entries:
        if entry.filename.startswith("xl/worksheets/sheet") and entry.filename.endswith(".xml"):
            with archive.open(entry) as part:
                head = part.read(4096).decode("utf-8", "replace")
            found = re.search(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
            if found and int(found.group(1)) > MAX_UPLOAD_ROWS:
                raise UploadRefusedError(_too_many_rows())


def _too_many_rows() -> str:
    return _("Too many rows: at most %(n)d per file.", n=MAX_UPLOAD_ROWS - 1)


def read_rows(raw: bytes, filename: str) -> list[list[str]]:
    """The first sheet of an XLSX, or a CSV (UTF-8 or GB18030), as rows of text cells; a file over the limits is
    refused (``UploadRefusedError``) before it is parsed, or as soon as the streaming read passes the row limit."""
    if filename.lower().endswith(".xlsx"):
        check_xlsx(raw)
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            return _at_most([_cell(v) for v in row] for row in rows)
        finally:
            workbook.close()
    return _at_most([v.strip() for v in row] for row in csv.reader(io.StringIO(decode_csv(raw))))


def _at_most(stream) -> list[list[str]]:
    """The rows of a stream, stopping with ``UploadRefusedError`` as soon as it passes the row limit."""
    rows = []
    for row in stream:
        rows.append(row)
        if len(rows) > MAX_UPLOAD_ROWS:
            raise UploadRefusedError(_too_many_rows())
    return rows


def count_rows(raw: bytes, filename: str) -> int:
    """Data rows in an upload (0 when it cannot be read): large files get a page that shows progress."""
    try:
        return max(0, len(read_rows(raw, filename)) - 1)
    except Exception:
        return 0
