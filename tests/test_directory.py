"""Feng County's bodies and places: the shipped reference data, the admin's edits and the CSV import."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.directory.models import Organization, OrganizationKind, Town, Village, VillageKind
from app.directory.reference import load_reference_data
from app.extensions import db
from tests.conftest import Auth, csrf_token

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def admin_auth(app, make) -> Auth:
    make.admin(username="county-admin")
    auth = Auth(app.test_client())
    auth.login("county-admin")
    return auth


def test_reference_data_has_the_plans_bodies_and_towns(app):
    with app.app_context():
        bodies = db.session.scalars(select(Organization).where(Organization.kind == OrganizationKind.COUNTY_BODY))
        codes = {o.code for o in bodies}
        assert len(codes) == 15
        assert {"mca", "youth-league", "womens-federation", "education", "police", "wcwc"} <= codes
        towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
        assert [t.name_zh for t in towns] == [
            "双石铺镇",
            "凤州镇",
            "黄牛铺镇",
            "红花铺镇",
            "唐藏镇",
            "平木镇",
            "坪坎镇",
            "留凤关镇",
            "河口镇",
        ]
        for kind in (
            OrganizationKind.TOWN_GOVERNMENT,
            OrganizationKind.SOCIAL_WORK_STATION,
            OrganizationKind.PROTECTION_STATION,
        ):
            per_town = db.session.scalars(select(Organization.town_id).where(Organization.kind == kind)).all()
            assert sorted(per_town) == sorted(t.id for t in towns)
        mca = db.session.scalar(select(Organization).where(Organization.code == "mca"))
        assert (mca.name_zh, mca.name_en) == ("凤县民政局", "County Civil Affairs Bureau")


def test_loading_reference_data_twice_changes_nothing(app):
    with app.app_context():
        before = db.session.scalar(select(func.count(Organization.id)))
        load_reference_data()
        db.session.commit()
        assert db.session.scalar(select(func.count(Organization.id))) == before


def test_directory_lists_organizations_in_both_languages(app, make):
    auth = admin_auth(app, make)
    assert "共青团凤县委员会" in auth.client.get("/directory/organizations?q=youth").get_data(as_text=True)
    english = auth.client.get("/directory/organizations?lang=en&kind=county_body").get_data(as_text=True)
    assert "Communist Youth League County Committee" in english
    assert "Shuangshipu Town Social Work Station" not in english


def test_admin_adds_edits_and_deactivates_a_school(app, make):
    auth = admin_auth(app, make)
    town = make.town("hekou")
    data = {
        "name_zh": "河口镇第二小学",
        "name_en": "Hekou No. 2 Primary",
        "short_name_zh": "",
        "code": "school-hekou-2",
        "kind": "school",
        "town_id": str(town.id),
    }
    assert auth.post("/directory/organizations/new", data).status_code == 302
    with app.app_context():
        school = db.session.scalar(select(Organization).where(Organization.code == "school-hekou-2"))
        assert school.kind == OrganizationKind.SCHOOL and school.town_id == town.id
    assert (
        auth.post(f"/directory/organizations/{school.id}/edit", {**data, "name_en": "Hekou Second"}).status_code == 302
    )
    assert auth.post(f"/directory/organizations/{school.id}/active", {"active": "0"}).status_code == 302
    with app.app_context():
        school = db.session.get(Organization, school.id)  # still there: deactivated, never deleted
        assert school.name_en == "Hekou Second" and not school.is_active
    listing = auth.client.get("/directory/organizations?kind=school").get_data(as_text=True)
    assert "<strong>河口镇第二小学</strong>" not in listing
    assert "<strong>河口镇第二小学</strong>" in auth.client.get(
        "/directory/organizations?kind=school&inactive=1"
    ).get_data(as_text=True)


def test_organization_code_must_be_unique_and_well_formed(app, make):
    auth = admin_auth(app, make)
    base = {"name_zh": "某机构", "name_en": "", "short_name_zh": "", "kind": "social_organization", "town_id": "0"}
    page = auth.post("/directory/organizations/new?lang=en", {**base, "code": "mca"}).get_data(as_text=True)
    assert "already uses this code" in page
    page = auth.post("/directory/organizations/new?lang=en", {**base, "code": "Bad Code!"}).get_data(as_text=True)
    assert "lowercase letters" in page
    with app.app_context():
        assert db.session.scalar(select(Organization).where(Organization.name_zh == "某机构")) is None


def test_admin_adds_and_deactivates_a_village(app, make):
    auth = admin_auth(app, make)
    town = make.town("pingmu")
    data = {"town_id": str(town.id), "name_zh": "新建村", "name_en": "Xinjian", "kind": "village"}
    assert auth.post("/directory/villages/new", data).status_code == 302
    page = auth.post("/directory/villages/new?lang=en", data)
    assert "already has a village" in page.get_data(as_text=True)
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.name_zh == "新建村"))
    auth.post(f"/directory/villages/{village.id}/active", {"active": "0"})
    with app.app_context():
        assert not db.session.get(Village, village.id).is_active


def test_admin_renames_a_village_into_a_community_and_a_clash_changes_nothing(app, make):
    from app.audit.models import AuditEntry

    auth = admin_auth(app, make)
    village = make.village("pingmu", name_zh="旧名村")
    neighbour = make.village("pingmu", name_zh="邻村")
    data = {"town_id": str(village.town_id), "name_zh": "新名社区", "name_en": "Xinming", "kind": "community"}
    assert auth.post(f"/directory/villages/{village.id}/edit", data).status_code == 302
    with app.app_context():
        row = db.session.get(Village, village.id)
        assert (row.name_zh, row.name_en, row.kind) == ("新名社区", "Xinming", VillageKind.COMMUNITY)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "village.updated"))
        assert entry.object_id == village.id and entry.detail["name"] == "新名社区"
    clash = {**data, "name_zh": neighbour.name_zh}
    response = auth.post(f"/directory/villages/{village.id}/edit?lang=en", clash)
    assert response.status_code == 422 and "already has a village" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Village, village.id).name_zh == "新名社区"


def upload(auth: Auth, what: str, content: bytes, lang: str = "en"):
    return auth.client.post(
        f"/directory/import?lang={lang}",
        data={"what": what, "file": (io.BytesIO(content), "list.csv"), "csrf_token": csrf_token(auth.client)},
        content_type="multipart/form-data",
    )


def test_csv_import_of_villages_in_utf8(app, make):
    auth = admin_auth(app, make)
    content = "town,name_zh,name_en,kind\nshuangshipu,紫柏村,Zibai,village\n凤州镇,城关社区,Chengguan,community\n"
    response = upload(auth, "villages", content.encode("utf-8-sig"))
    assert response.status_code == 200
    assert "2 added" in response.get_data(as_text=True)
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.name_zh == "城关社区"))
        assert village.kind == VillageKind.COMMUNITY and not village.is_demo
        assert village.town.code == "fengzhou"


def test_csv_import_reads_excel_gbk_and_chinese_headers(app, make):
    auth = admin_auth(app, make)
    content = "镇,名称,类型\n河口镇,龙潭村,村\n"
    response = upload(auth, "villages", content.encode("gb18030"))
    assert "1 added" in response.get_data(as_text=True)


def test_csv_import_with_a_bad_row_imports_nothing(app, make):
    auth = admin_auth(app, make)
    content = "town,name_zh\nshuangshipu,好村\nnowhere,坏村\nshuangshipu,\n"
    response = upload(auth, "villages", content.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3" in page and "Unknown town" in page
    assert "Line 4" in page
    with app.app_context():
        assert db.session.scalar(select(Village).where(Village.name_zh == "好村")) is None


def test_csv_import_needs_the_columns(app, make):
    auth = admin_auth(app, make)
    response = upload(auth, "schools", b"name\nx\n")
    assert "Missing column" in response.get_data(as_text=True)


def test_csv_import_of_schools_updates_by_code(app, make):
    auth = admin_auth(app, make)
    first = "town,name_zh,code\nhekou,河口镇中学,school-hekou-middle\n"
    assert "1 added" in upload(auth, "schools", first.encode()).get_data(as_text=True)
    again = "town,name_zh,name_en,code\nhekou,河口镇初级中学,Hekou Junior Middle,school-hekou-middle\n"
    assert "1 updated" in upload(auth, "schools", again.encode()).get_data(as_text=True)
    with app.app_context():
        school = db.session.scalar(select(Organization).where(Organization.code == "school-hekou-middle"))
        assert school.name_zh == "河口镇初级中学" and school.kind == OrganizationKind.SCHOOL


def test_csv_import_refuses_a_code_of_a_body_that_is_not_a_school(app, make):
    auth = admin_auth(app, make)
    response = upload(auth, "schools", "town,name_zh,code\nhekou,冒名学校,mca\n".encode())
    assert "not a school" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Organization.name_zh).where(Organization.code == "mca")) == "凤县民政局"


def test_staff_can_browse_but_not_edit_the_directory(app, make):
    make.user(Role.CHILD_DIRECTOR, username="dir")
    auth = Auth(app.test_client())
    auth.login("dir")
    page = auth.client.get("/directory/villages").get_data(as_text=True)
    assert "/directory/villages/new" not in page
    assert auth.client.get("/directory/villages/new").status_code == 403


def test_long_lists_are_paged_and_keep_their_filters(app, make):
    auth = admin_auth(app, make)
    for _ in range(12):
        make.organization(kind=OrganizationKind.SOCIAL_ORGANIZATION)
    first = auth.client.get("/directory/organizations?lang=en&q=").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert 'href="/directory/organizations?lang=en&amp;q=&amp;page=2"' in first
    second = auth.client.get("/directory/organizations?lang=en&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Previous" in second
