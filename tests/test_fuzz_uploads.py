"""Hostile files on the upload forms — children's files (``/children/import``) and the directory's villages and
schools (``/directory/import``): never a 5xx, always refused with a message, nothing saved.

Each form first accepts a valid file of the same shape (inside a SAVEPOINT rolled back afterwards, tests/fuzz.py), so
each hostile file differs from an accepted one by what it breaks: empty, not a zip, a zip that is no workbook, NUL
bytes, a cell too large for the CSV reader, a name one character too long, every column too long, encodings that are
neither UTF-8 nor GB18030, an unclosed quote, dates that do not exist, a file name that is not a CSV or XLSX.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.auth.models import Role
from app.childcare.transfer import COLUMNS
from tests.conftest import Auth, csrf_token
from tests.fuzz import Fuzzer
from tests.test_children_transfer import row, xlsx

VILLAGE = "甲村"
HUGE = 200_000  # characters: above the CSV reader's field limit (131,072), below the 4 MB upload limit


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _children_csv(encoding: str = "utf-8", **cells) -> bytes:
    values = row("王小红", VILLAGE) | cells
    return _csv([[h for h, _a in COLUMNS], [str(values.get(attr, "")) for _h, attr in COLUMNS]], encoding)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _broken_sheet() -> bytes:
    """The template's workbook with a sheet whose XML stops in the middle."""
    template = zipfile.ZipFile(io.BytesIO(xlsx([row("王小红", VILLAGE)])))
    entries = {entry.filename: template.read(entry) for entry in template.infolist()}
    entries["xl/worksheets/sheet1.xml"] = b'<?xml version="1.0"?><worksheet><sheetData><row><c t="s"><v>'
    return _zip(entries)


def _not_files() -> list[tuple[str, str, bytes]]:
    """Files that are no readable table, whatever the form expects."""
    return [
        ("empty csv", "list.csv", b""),
        ("empty xlsx", "list.xlsx", b""),
        ("only NUL bytes", "list.csv", b"\x00" * 1000),
        ("not a zip", "list.xlsx", b"PK\x03\x04 this is not a zip"),
        ("a zip that is no workbook", "list.xlsx", _zip({"readme.txt": b"hello"})),
        ("a workbook without its parts", "list.xlsx", _zip({"[Content_Types].xml": b"<Types/>"})),
        ("a sheet cut short", "list.xlsx", _broken_sheet()),
        ("neither UTF-8 nor GB18030", "list.csv", b"name\n\x80\x80\xff\xfe\x81\n"),
        ("UTF-16", "list.csv", "镇,名称\n双石铺镇,乙村\n".encode("utf-16")),
        ("an unclosed quote", "list.csv", '"镇,名称\n双石铺镇,"乙村\n'.encode()),
        ("not a CSV or XLSX", "list.exe", b"MZ\x90\x00"),
        ("no extension", "list", b"town,name_zh\n"),
    ]


def _hostile_children_files() -> list[tuple[str, str, bytes]]:
    files = [
        *_not_files(),
        ("a NUL in a name", "children.csv", _children_csv(name="王\x00红")),
        ("a NUL in a header", "children.csv", _children_csv().replace("姓名".encode(), "姓\x00名".encode())),
        ("a control character in a name", "children.csv", _children_csv(name="王\x1b红")),
        ("a huge cell", "children.csv", _children_csv(parents_workplace="工" * HUGE)),
        ("a 41-character name (CSV)", "children.csv", _children_csv(name="王" * 41)),
        ("a 41-character name (XLSX)", "children.xlsx", xlsx([row("王" * 41, VILLAGE)])),
        ("a name in GBK bytes that are not GB18030", "children.csv", _children_csv().replace(b"\xe7", b"\x80")),
        ("30 February", "children.csv", _children_csv(birth_date="2026-02-30")),
        ("year 0", "children.csv", _children_csv(birth_date="0000-01-01")),
        ("year 9999", "children.xlsx", xlsx([row("王小红", VILLAGE, birth="9999-12-31")])),
        ("a date as a huge number", "children.xlsx", xlsx([row("王小红", VILLAGE, birth=10**20)])),
        ("a 300-character file name", "x" * 300 + ".csv", _children_csv(name="王" * 41)),
    ]
    # Every column one cell too long for any of the file's fields (the longest holds 120 characters).
    for _header, attribute in COLUMNS:
        files.append((f"{attribute} of 300 characters", "children.csv", _children_csv(**{attribute: "长" * 300})))
    return files


def _hostile_directory_files(what: str) -> list[tuple[str, str, bytes]]:
    extra = "kind" if what == "villages" else "code"
    longest_zh, longest_en = (60, 120) if what == "villages" else (120, 200)  # the columns' lengths
    good = ["shuangshipu", "乙村" if what == "villages" else "乙校", "Yi", "village" if what == "villages" else ""]

    def one(**cells) -> bytes:
        values = dict(zip(["town", "name_zh", "name_en", extra], good, strict=True)) | cells
        return _csv([list(values), list(values.values())])

    return [
        *_not_files(),
        ("a NUL in a name", "list.csv", one(name_zh="乙\x00村")),
        ("a control character in a name", "list.csv", one(name_zh="乙\x07村")),
        ("a NUL in the English name", "list.csv", one(name_en="Y\x00i")),
        ("a huge cell", "list.csv", one(name_en="x" * HUGE)),
        ("a name one character too long", "list.csv", one(name_zh="村" * (longest_zh + 1))),
        ("an English name one character too long", "list.csv", one(name_en="y" * (longest_en + 1))),
        ("an unknown town", "list.csv", one(town="x" * 300)),
        ("a hostile code or kind", "list.csv", one(**{extra: "'; DROP TABLE villages; --"})),
        ("a header only", "list.csv", _csv([["town", "name_zh"]])),
    ]


def _post(fuzzer: Fuzzer, auth: Auth, action: str, label: str, filename: str, content: bytes, **fields):
    """The multipart body is encoded here, in memory: werkzeug's test client would spool a body over 500 KB to a
    temporary file that it never closes (a ResourceWarning, an error under ``filterwarnings = error``)."""
    data = {**fields, "file": FileStorage(io.BytesIO(content), filename), "csrf_token": csrf_token(auth.client, action)}
    boundary, body = encode_multipart(MultiDict(data))
    content_type = f"multipart/form-data; boundary={boundary}"
    return fuzzer.submit(auth.client, action, (label,), data=body, content_type=content_type)


def _fuzz_upload(app, auth: Auth, action: str, valid: tuple[str, bytes], hostile: list, **fields) -> None:
    with Fuzzer(app) as fuzzer:
        accepted = _post(fuzzer, auth, action, "valid", *valid, **fields)
        assert not accepted.refused and accepted.committed, f"{action}: the valid file was not imported"
        for label, filename, content in hostile:
            outcome = _post(fuzzer, auth, action, label, filename, content, **fields)
            if not outcome.refused:
                fuzzer.failures.append((action, label, outcome.status, "accepted"))
    assert fuzzer.submitted == len(hostile) + 1
    assert fuzzer.failures == [], fuzzer.failures


@pytest.mark.parametrize("role", ["admin", "director"])
def test_hostile_files_for_the_childrens_import_are_refused_and_save_nothing(app, make, role):
    village = make.village("shuangshipu", name_zh=VILLAGE)
    user = make.admin() if role == "admin" else make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    auth = Auth(app.test_client())
    auth.login(user.login_name)
    valid = ("children.csv", _children_csv())
    _fuzz_upload(app, auth, "/children/import?lang=en", valid, _hostile_children_files())


@pytest.mark.parametrize("what", ["villages", "schools"])
def test_hostile_files_for_the_directory_import_are_refused_and_save_nothing(app, make, what):
    auth = Auth(app.test_client())
    auth.login(make.admin().login_name)
    valid_row = ["shuangshipu", "乙村", "Yi", "village"] if what == "villages" else ["shuangshipu", "乙校", "Yi", ""]
    header = ["town", "name_zh", "name_en", "kind" if what == "villages" else "code"]
    valid = ("list.csv", _csv([header, valid_row]))
    _fuzz_upload(app, auth, "/directory/import?lang=en", valid, _hostile_directory_files(what), what=what)


def test_a_control_character_in_an_uploaded_row_is_refused_on_its_line(app, make):
    village = make.village("shuangshipu", name_zh=VILLAGE)
    auth = Auth(app.test_client())
    auth.login(make.user(Role.CHILD_DIRECTOR, villages=[village.id]).login_name)
    with Fuzzer(app) as fuzzer:
        outcome = _post(fuzzer, auth, "/children/import?lang=en", "NUL", "children.csv", _children_csv(name="王\x00红"))
    assert outcome.status == 422 and outcome.refused and not outcome.committed
    assert "Line 2: This row holds invalid control characters. Please remove them." in outcome.body


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_csv([["town", "name_zh", "name_en"], ["shuangshipu", "乙村", "x" * HUGE]]), "not a readable CSV table"),
        (_csv([["town", "name_zh", "name_en"], ["shuangshipu", "乙村", "y" * 121]]), "longer than 120 characters"),
        (_csv([["town", "name_zh"], ["shuangshipu", "乙\x00村"]]), "Line 2: This row holds invalid control characters"),
    ],
)
def test_a_village_list_the_database_could_not_hold_is_refused_with_a_message(app, make, content, message):
    auth = Auth(app.test_client())
    auth.login(make.admin().login_name)
    with Fuzzer(app) as fuzzer:
        outcome = _post(fuzzer, auth, "/directory/import?lang=en", "x", "list.csv", content, what="villages")
    assert outcome.status == 422 and outcome.refused and not outcome.committed
    assert message in outcome.body
