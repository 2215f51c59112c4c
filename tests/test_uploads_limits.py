"""Uploads are refused before they are parsed when they are too large, unpack too large or hold too many rows."""

from __future__ import annotations

import io
import time
import zipfile

from sqlalchemy import func, select

from app.auth.models import Role
from app.childcare.models import Child
from app.extensions import db
from tests.test_children_transfer import row, upload, xlsx


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Child.id)))


def _director(app, make, auth):
    village = make.village("shuangshipu", name_zh="甲村")
    user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    auth.login(user.login_name)
    return village


def _rows_xlsx(rows: int, dimension: bool = True) -> bytes:
    """A hand-packed XLSX whose first sheet holds ``rows`` short rows: small packed, large unpacked."""
    body = "".join("<row><c><v>1</v></c></row>" for _n in range(rows))
    head = f'<dimension ref="A1:A{rows}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main">{head}<sheetData>{body}</sheetData></worksheet>'
    )
    template = zipfile.ZipFile(io.BytesIO(xlsx([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in template.infolist():
            data = sheet.encode() if entry.filename == "xl/worksheets/sheet1.xml" else template.read(entry)
            archive.writestr(entry.filename, data)
    return buffer.getvalue()


def test_an_xlsx_declaring_100000_rows_is_refused_within_a_second(app, make, auth):
    _director(app, make, auth)
    content = _rows_xlsx(100_000)
    started = time.monotonic()
    response = upload(auth, content)
    assert time.monotonic() - started < 1
    assert "Too many rows: at most 20000 per file." in response.get_data(as_text=True)
    assert _count(app) == 0


def test_an_xlsx_without_a_dimension_stops_streaming_at_the_row_limit(app, make, auth):
    _director(app, make, auth)
    response = upload(auth, _rows_xlsx(25_000, dimension=False))
    assert "Too many rows: at most 20000 per file." in response.get_data(as_text=True)
    assert _count(app) == 0


def test_a_zip_bomb_is_refused_within_a_second_without_unpacking(app, make, auth):
    _director(app, make, auth)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (300 * 1024 * 1024))
    started = time.monotonic()
    response = upload(auth, buffer.getvalue())
    assert time.monotonic() - started < 1
    assert "The file unpacks too large to be read." in response.get_data(as_text=True)
    assert _count(app) == 0


def test_a_name_longer_than_its_column_is_a_row_error_and_nothing_is_saved(app, make, auth):
    _director(app, make, auth)
    response = upload(auth, xlsx([row("李" * 41, "甲村"), row("王小红", "甲村")]))
    page = response.get_data(as_text=True)
    assert "at most 40 characters." in page
    assert _count(app) == 0


def test_a_name_of_exactly_40_characters_is_imported(app, make, auth):
    _director(app, make, auth)
    upload(auth, xlsx([row("李" * 40, "甲村")]))
    with app.app_context():
        assert db.session.scalar(select(Child.name)) == "李" * 40


def test_an_upload_over_the_size_limit_gets_the_friendly_413_page(app, make, auth):
    _director(app, make, auth)
    # Raw bytes, not a multipart file: the test client keeps those in memory (a refused temporary file stays open).
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = auth.client.post("/children/import?lang=en", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "The file you sent is too large." in response.get_data(as_text=True)
    assert _count(app) == 0
