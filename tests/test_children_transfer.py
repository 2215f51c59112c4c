"""Importing and exporting children's files: all rows or none, no duplicates, scoped and audited exports."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import Child
from app.childcare.transfer import COLUMNS
from app.extensions import db
from tests.conftest import Auth, csrf_token
from tests.factories import valid_id_number


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h for h, _attr in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(name: str, village: str, number: str = "", birth: str = "2015-06-12", categories: str = "农村留守儿童") -> list:
    return [
        name,
        "女",
        birth,
        number,
        "双石铺镇",
        village,
        "二年级",
        categories,
        "",
        "",
        "奶奶",
        "祖母",
        "",
        "西安",
        "",
    ]


def upload(auth: Auth, content: bytes, filename: str = "children.xlsx"):
    return auth.client.post(
        "/children/import?lang=en",
        data={"file": (io.BytesIO(content), filename), "csrf_token": csrf_token(auth.client)},
        content_type="multipart/form-data",
    )


def director_for(app, make, village) -> Auth:
    auth = Auth(app.test_client())
    auth.login(make.user(Role.CHILD_DIRECTOR, villages=[village.id]).username)
    return auth


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Child.id)))


def test_template_has_the_chinese_columns(app, make):
    village = make.village(name_zh="模板村")
    auth = director_for(app, make, village)
    sheet = load_workbook(io.BytesIO(auth.client.get("/children/import/template.xlsx").data)).active
    assert [c.value for c in sheet[1]] == [h for h, _attr in COLUMNS]


def test_import_twice_creates_no_duplicates(app, make):
    village = make.village(name_zh="导入村")
    auth = director_for(app, make, village)
    content = xlsx(
        [
            row("导入甲", "导入村", valid_id_number("20150612", "111")),
            row("导入乙", "导入村", valid_id_number("20160101", "222"), birth="2016-01-01"),
        ]
    )
    assert "2 added" in upload(auth, content).get_data(as_text=True)
    assert "2 updated" in upload(auth, content).get_data(as_text=True)
    assert count(app) == 2


def test_one_bad_row_imports_nothing_and_says_which(app, make):
    village = make.village(name_zh="校验村")
    auth = director_for(app, make, village)
    bad_id = valid_id_number()[:-1] + ("0" if valid_id_number()[-1] != "0" else "1")
    content = xlsx(
        [
            row("好孩子", "校验村"),
            row("坏身份证", "校验村", bad_id),
            row("无此村", "不存在村"),
            row("怪类别", "校验村", categories="外星儿童"),
            row("未来", "校验村", birth="2099-01-01"),
        ]
    )
    response = upload(auth, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3" in page and "Line 4" in page and "Line 5" in page and "Line 6" in page
    assert "not a valid resident ID" in page and "Unknown village" in page and "Unknown category" in page
    assert count(app) == 0


def test_csv_in_gbk_is_accepted(app, make):
    village = make.village(name_zh="表格村")
    auth = director_for(app, make, village)
    lines = [",".join(h for h, _attr in COLUMNS), ",".join(row("表格孩子", "表格村"))]
    response = upload(auth, "\n".join(lines).encode("gb18030"), "children.csv")
    assert "1 added" in response.get_data(as_text=True)


def test_import_cannot_file_children_outside_ones_villages(app, make):
    mine, theirs = make.village(name_zh="我村"), make.village(name_zh="他村")
    auth = director_for(app, make, mine)
    response = upload(auth, xlsx([row("越权", "他村")]))
    assert response.status_code == 422
    assert count(app) == 0
    assert theirs.id


def test_export_holds_only_the_users_children_and_is_audited(app, make):
    mine, theirs = make.village(name_zh="导出村"), make.village(name_zh="别人村")
    make.child(mine.id, name="我的孩子")
    make.child(theirs.id, name="别人的孩子")
    auth = director_for(app, make, mine)
    sheet = load_workbook(io.BytesIO(auth.client.get("/children/export.xlsx").data)).active
    names = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert names == ["我的孩子"]
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.exported")) is not None
    volunteer = Auth(app.test_client())
    volunteer.login(make.user().username)
    assert volunteer.client.get("/children/export.xlsx").status_code == 403


def test_a_large_import_shows_its_progress_as_it_goes(app, make):
    village = make.village(name_zh="大村")
    auth = director_for(app, make, village)
    rows = [
        row(
            f"大村孩子{i}",
            "大村",
            valid_id_number(f"2015{1 + i // 300:02d}12", f"{i % 300:03d}"),
            birth=f"2015-{1 + i // 300:02d}-12",
        )
        for i in range(600)
    ]
    response = upload(auth, xlsx(rows))
    page = response.get_data(as_text=True)
    assert "Checked 250 of 600 rows" in page and "Saved 500 of 600 files" in page
    assert "600 added" in page
    assert count(app) == 600
