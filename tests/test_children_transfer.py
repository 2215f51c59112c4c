"""Importing and exporting children's files: every field both ways, all rows or none, nothing added twice, a
missing column keeps what the file holds, possible duplicates confirmed by the user, exports masked as the page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import Child, ChildImport, ChildStatus, CloseReason, Gender
from app.childcare.services import mask_id_number
from app.childcare.transfer import COLUMNS
from app.directory.models import OrganizationKind
from app.extensions import db
from tests.conftest import Auth, csrf_token
from tests.factories import valid_id_number

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer

HEADERS = [h for h, _attr in COLUMNS]
ATTRIBUTES = [attr for _h, attr in COLUMNS]
# Every column of the children table but the row's own bookkeeping of its last write.
FIELDS = [column.key for column in Child.__table__.columns if column.key != "updated_at"]


def xlsx(rows: list[dict], headers: list[str] | None = None) -> bytes:
    """A sheet with these headers (default: all) and rows given as {attribute: value}."""
    headers = headers or HEADERS
    attributes = [dict(COLUMNS).get(h) for h in headers]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(attr, "") for attr in attributes])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(name: str, village: str, number: str = "", birth: str = "2015-06-12", **values) -> dict:
    return {
        "name": name,
        "gender": "女",
        "birth_date": birth,
        "id_number": number,
        "town": "双石铺镇",
        "village": village,
        "grade": "二年级",
        "categories": "农村留守儿童",
        "guardian_name": "奶奶",
        "guardian_relation": "祖母",
        "parents_workplace": "西安",
        **values,
    }


def upload(auth: Auth, content: bytes, filename: str = "children.xlsx"):
    return auth.client.post(
        "/children/import?lang=en",
        data={"file": (io.BytesIO(content), filename), "csrf_token": csrf_token(auth.client)},
        content_type="multipart/form-data",
    )


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.login_name)
    return auth


def director_for(app, make, village) -> Auth:
    return login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Child.id)))


def snapshot(app, village_id: int) -> dict[int, dict]:
    """Every field of every file of the village."""
    with app.app_context():
        children = db.session.scalars(select(Child).where(Child.village_id == village_id))
        return {child.id: {key: getattr(child, key) for key in FIELDS} for child in children}


def exported(auth: Auth, query: str = "") -> list[dict]:
    response = auth.client.get(f"/children/export.xlsx{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(ATTRIBUTES, values, strict=True)) for values in rows[1:]]


def test_template_has_every_column_of_the_file(app, make):
    village = make.village(name_zh="模板村")
    auth = director_for(app, make, village)
    sheet = load_workbook(io.BytesIO(auth.client.get("/children/import/template.xlsx").data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert {"file_number", "school", "risk_flags", "director", "status", "close_reason", "on_record_since"} <= set(
        ATTRIBUTES
    )


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
    assert "0 added, 0 updated, 2 unchanged" in upload(auth, content).get_data(as_text=True)
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
            row("太长", "校验村", guardian_name="长" * 41),
        ]
    )
    response = upload(auth, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert all(f"Line {n}" in page for n in (3, 4, 5, 6, 7)) and "Line 2:" not in page
    assert "not a valid resident ID" in page and "Unknown village" in page and "Unknown category" in page
    assert "at most 40 characters" in page
    assert count(app) == 0


def test_an_unknown_or_missing_column_is_refused(app, make):
    village = make.village(name_zh="表头村")
    auth = director_for(app, make, village)
    response = upload(auth, xlsx([row("甲", "表头村")], headers=[*HEADERS, "身份证"]))
    assert response.status_code == 422 and "Unknown column “身份证”" in response.get_data(as_text=True)
    response = upload(auth, xlsx([row("甲", "表头村")], headers=[h for h in HEADERS if h != "出生日期"]))
    assert response.status_code == 422 and "These columns are needed: 出生日期" in response.get_data(as_text=True)
    assert count(app) == 0


def test_csv_in_gbk_is_accepted(app, make):
    village = make.village(name_zh="表格村")
    auth = director_for(app, make, village)
    values = row("表格孩子", "表格村")
    lines = [",".join(HEADERS), ",".join(str(values.get(attr, "")) for attr in ATTRIBUTES)]
    response = upload(auth, "\n".join(lines).encode("gb18030"), "children.csv")
    assert "1 added" in response.get_data(as_text=True)


def test_import_cannot_file_or_change_children_outside_ones_villages(app, make):
    mine, theirs = make.village(name_zh="我村"), make.village(name_zh="他村")
    other = make.child(theirs.id, name="他村孩子", grade="一年级")
    auth = director_for(app, make, mine)
    response = upload(auth, xlsx([row("越权", "他村")]))
    assert response.status_code == 422
    assert "You can only file children of your own villages" in response.get_data(as_text=True)
    # A file number of another village's file, even with a row of one's own village: refused, the file unchanged.
    response = upload(auth, xlsx([row("越权", "我村", file_number=other.id, grade="九年级")]))
    assert response.status_code == 422
    assert f"File number {other.id} is not a file you may update" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id)).where(Child.village_id == theirs.id)) == 1
        assert db.session.get(Child, other.id).grade == "一年级"
        assert db.session.get(Child, other.id).village_id == theirs.id
    assert count(app) == 1


def test_export_holds_only_the_users_children_and_is_audited(app, make):
    mine, theirs = make.village(name_zh="导出村"), make.village(name_zh="别人村")
    make.child(mine.id, name="我的孩子")
    make.child(mine.id, name="结案孩子", status=ChildStatus.CLOSED, close_reason=CloseReason.MOVED_AWAY)
    make.child(theirs.id, name="别人的孩子")
    auth = director_for(app, make, mine)
    rows = exported(auth)
    assert sorted(r["name"] for r in rows) == ["我的孩子", "结案孩子"]
    assert {r["name"]: r["status"] for r in rows} == {"我的孩子": "在档", "结案孩子": "已结案"}
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.exported")) is not None
    volunteer = login(app, make.user())
    assert volunteer.client.get("/children/export.xlsx").status_code == 403


def test_export_masks_the_id_number_exactly_as_the_page(app, make):
    village = make.village("shuangshipu", name_zh="掩码村")
    number = valid_id_number("20150612", "101")
    child = make.child(village.id, name="掩码孩子", id_number=number)
    supervisor = login(app, make.user(Role.TOWN_SUPERVISOR, town="shuangshipu"))
    assert mask_id_number(number) in supervisor.client.get(f"/children/{child.id}").get_data(as_text=True)
    (only,) = exported(supervisor)
    assert only["id_number"] == mask_id_number(number) == f"610330{'*' * 8}{number[-4:]}"
    assert all(number not in str(value) for value in only.values())
    for whole in (director_for(app, make, village), login(app, make.admin())):
        (full,) = exported(whole, f"?village={village.id}")
        assert full["id_number"] == number


@pytest.mark.parametrize("who", ["director", "admin"])
def test_an_export_imported_again_changes_nothing(app, make, who):
    """A village's files with every field set — risk flags, school, directors, closed files, old on-record dates,
    files without an ID number — exported and imported again: every field of every file is the same."""
    village = make.village("shuangshipu", name_zh="往返村")
    school = make.organization(kind=OrganizationKind.SCHOOL, name_zh="往返小学")
    uploader = make.user(Role.CHILD_DIRECTOR, villages=[village.id], name="本村主任")
    colleague = make.user(Role.CHILD_DIRECTOR, villages=[village.id], name="同村主任")
    full = {
        "school_id": school.id,
        "grade": "四年级",
        "categories": ["left_behind", "low_income"],
        "risk_flags": ["parent_disability", "behaviour"],
        "father_name": "父亲",
        "mother_name": "母亲",
        "guardian_name": "外婆",
        "guardian_relation": "外祖母",
        "guardian_phone": "13900000001",
        "parents_workplace": "广东东莞",
        "caregiver_name": "舅舅",
        "on_record_since": date(2024, 3, 1),
    }
    make.child(village.id, name="甲", id_number=valid_id_number("20150612", "111"), director_id=uploader.id, **full)
    make.child(
        village.id,
        name="乙",
        gender=Gender.FEMALE,
        birth=date(2012, 2, 29),
        director_id=colleague.id,
        **full,
    )
    make.child(
        village.id,
        name="丙",
        id_number=valid_id_number("20100301", "222"),
        birth=date(2010, 3, 1),
        status=ChildStatus.CLOSED,
        close_reason=CloseReason.PARENTS_RETURNED,
        closed_at=datetime(2025, 1, 5, 2, 30, tzinfo=UTC),
        director_id=uploader.id,
        **{**full, "risk_flags": ["child_disability"]},
    )
    make.child(village.id, name="丁", on_record_since=date(2025, 9, 1))  # no director, no school, nothing else
    auth = login(app, uploader if who == "director" else make.admin())
    before = snapshot(app, village.id)
    rows = exported(auth, f"?village={village.id}")
    assert len(rows) == 4 and all(r["file_number"] for r in rows)
    assert {r["name"]: r["director"] for r in rows}["乙"] == colleague.login_name
    assert {r["name"]: r["risk_flags"] for r in rows}["甲"] == "父母一方重度残疾或患有精神疾病；儿童存在心理或行为异常"
    content = auth.client.get(f"/children/export.xlsx?village={village.id}").data
    response = upload(auth, content)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "0 added, 0 updated, 4 unchanged" in response.get_data(as_text=True)
    assert snapshot(app, village.id) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "child.updated")) == 0


def test_a_missing_column_keeps_the_field_and_an_empty_cell_clears_it(app, make):
    village = make.village(name_zh="保留村")
    school = make.organization(kind=OrganizationKind.SCHOOL, name_zh="保留小学")
    user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(
        village.id,
        name="保留",
        school_id=school.id,
        grade="三年级",
        risk_flags=["behaviour"],
        director_id=user.id,
        guardian_name="爷爷",
    )
    auth = login(app, user)
    minimal = ["档案编号", "姓名", "性别", "出生日期", "镇", "村（社区）"]
    values = {"file_number": child.id, "name": "保留", "gender": "男", "birth_date": "2015-06-12"}
    values.update(town="双石铺镇", village="保留村")
    response = upload(auth, xlsx([values], headers=minimal))
    assert "0 updated, 1 unchanged" in response.get_data(as_text=True)
    with app.app_context():
        kept = db.session.get(Child, child.id)
        assert (kept.school_id, kept.grade, kept.risk_flags, kept.director_id) == (
            school.id,
            "三年级",
            ["behaviour"],
            user.id,
        )
        assert kept.guardian_name == "爷爷"
    response = upload(
        auth, xlsx([{**values, "school": "", "risk_flags": ""}], headers=[*minimal, "学校", "重点关注情形"])
    )
    assert "1 updated" in response.get_data(as_text=True)
    with app.app_context():
        cleared = db.session.get(Child, child.id)
        assert (cleared.school_id, cleared.risk_flags, cleared.grade) == (None, [], "三年级")
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.updated"))
        assert entry.detail["changes"] == {"school_id": [school.id, None], "risk_flags": [["behaviour"], []]}
        assert entry.detail["via"] == "import"


def _pending(app) -> ChildImport | None:
    with app.app_context():
        return db.session.scalar(select(ChildImport))


def test_a_row_without_id_number_matching_a_file_waits_for_the_users_choice(app, make):
    village = make.village(name_zh="重名村")
    user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    existing = make.child(village.id, name="李小花", gender=Gender.FEMALE, guardian_name="奶奶")
    auth = login(app, user)
    content = xlsx([row("李小花", "重名村", guardian_name="外婆")])
    response = upload(auth, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Possible duplicates" in page and f"update file {existing.id}" in page and "add a new file" in page
    assert count(app) == 1
    pending = _pending(app)
    assert pending is not None and pending.user_id == user.id and pending.content == content
    with app.app_context():
        assert db.session.get(Child, existing.id).guardian_name == "奶奶"

    # Another uploader cannot use the token; an undecided row saves nothing; both leave the upload waiting.
    stranger = director_for(app, make, village)
    assert stranger.post("/children/import/confirm", {"token": pending.token, "row-2": "new"}).status_code == 404
    response = auth.post("/children/import/confirm?lang=en", {"token": pending.token})
    assert response.status_code == 422 and "Please choose for every row" in response.get_data(as_text=True)
    assert count(app) == 1 and _pending(app) is not None

    # "The same child": the file is updated, nothing is added, the upload is forgotten.
    response = auth.post("/children/import/confirm", {"token": pending.token, "row-2": str(existing.id)})
    assert response.status_code == 302
    assert count(app) == 1 and _pending(app) is None
    with app.app_context():
        assert db.session.get(Child, existing.id).guardian_name == "外婆"

    # The same row again, "a different child": a second file of that name.
    upload(auth, content)
    pending = _pending(app)
    response = auth.post("/children/import/confirm", {"token": pending.token, "row-2": "new"})
    assert response.status_code == 302
    assert _pending(app) is None
    with app.app_context():
        files = db.session.scalars(select(Child).where(Child.name == "李小花").order_by(Child.id)).all()
        assert [c.id == existing.id for c in files] == [True, False]
        assert files[1].guardian_name == "外婆" and files[1].village_id == village.id


def test_a_held_upload_can_be_discarded_by_its_uploader(app, make):
    village = make.village(name_zh="放弃村")
    user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    make.child(village.id, name="王小明")
    auth = login(app, user)
    upload(auth, xlsx([row("王小明", "放弃村", gender="男")]))
    pending = _pending(app)
    assert (
        director_for(app, make, village).post("/children/import/discard", {"token": pending.token}).status_code == 404
    )
    assert _pending(app) is not None
    assert auth.post("/children/import/discard", {"token": pending.token}).status_code == 302
    assert _pending(app) is None and count(app) == 1


def test_the_same_child_twice_in_one_upload_is_refused(app, make):
    village = make.village(name_zh="两次村")
    auth = director_for(app, make, village)
    number = valid_id_number("20150612", "333")
    response = upload(auth, xlsx([row("两次", "两次村", number), row("两次", "两次村", number)]))
    assert response.status_code == 422 and "already on line 2" in response.get_data(as_text=True)
    response = upload(auth, xlsx([row("无号", "两次村"), row("无号", "两次村")]))
    assert response.status_code == 422 and "already on line 2" in response.get_data(as_text=True)
    assert count(app) == 0


def test_only_the_administrator_names_a_director_in_an_import(app, make):
    village = make.village(name_zh="主任村")
    mine = make.user(Role.CHILD_DIRECTOR, villages=[village.id], username="director-mine")
    other = make.user(Role.CHILD_DIRECTOR, villages=[village.id], username="director-other")
    elsewhere = make.user(Role.CHILD_DIRECTOR, villages=[make.village().id], username="director-elsewhere")
    response = upload(login(app, mine), xlsx([row("甲", "主任村", director="director-other")]))
    assert response.status_code == 422 and "Only the county administrator" in response.get_data(as_text=True)
    assert "1 added" in upload(login(app, mine), xlsx([row("乙", "主任村", director="")])).get_data(as_text=True)
    admin = login(app, make.admin())
    response = upload(admin, xlsx([row("丙", "主任村", director="director-elsewhere")]))
    assert response.status_code == 422 and "not an active child director of this village" in response.get_data(
        as_text=True
    )
    assert "1 added" in upload(admin, xlsx([row("丙", "主任村", director="director-other")])).get_data(as_text=True)
    with app.app_context():
        directors = dict(db.session.execute(select(Child.name, Child.director_id)).all())
    assert directors == {"乙": mine.id, "丙": other.id} and elsewhere.id not in directors.values()


def test_an_import_can_close_a_file_with_its_reason(app, make):
    village = make.village(name_zh="结案村")
    user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, name="结案")
    auth = login(app, user)
    base = {"file_number": child.id, "name": "结案", "gender": "男", "birth_date": "2015-06-12"}
    base.update(town="双石铺镇", village="结案村")
    headers = ["档案编号", "姓名", "性别", "出生日期", "镇", "村（社区）", "档案状态", "结案原因"]
    response = upload(auth, xlsx([{**base, "status": "已结案"}], headers=headers))
    assert response.status_code == 422 and "needs the reason" in response.get_data(as_text=True)
    response = upload(auth, xlsx([{**base, "status": "已结案", "close_reason": "迁出"}], headers=headers))
    assert "1 updated" in response.get_data(as_text=True)
    with app.app_context():
        closed = db.session.get(Child, child.id)
        assert (closed.status, closed.close_reason) == (ChildStatus.CLOSED, CloseReason.MOVED_AWAY)
        assert closed.closed_at is not None


def test_the_on_record_date_of_an_import_is_kept_and_checked(app, make):
    village = make.village(name_zh="建档村")
    auth = director_for(app, make, village)
    future = (date.today() + timedelta(days=5)).isoformat()
    response = upload(auth, xlsx([row("早于出生", "建档村", on_record_since="2014-01-01")]))
    assert response.status_code == 422 and "before the child was born" in response.get_data(as_text=True)
    response = upload(auth, xlsx([row("未来建档", "建档村", on_record_since=future)]))
    assert response.status_code == 422 and "future" in response.get_data(as_text=True)
    assert "1 added" in upload(auth, xlsx([row("老档案", "建档村", on_record_since="2024-03-01")])).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(Child.on_record_since).where(Child.name == "老档案")) == date(2024, 3, 1)
