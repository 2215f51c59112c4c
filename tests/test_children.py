"""One file per child: validation, least privilege (incl. guessed ids), masking, the timeline and the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import Child, Problem, ProblemStatus, Visit
from app.childcare.services import mask_id_number, mask_name
from app.extensions import db
from tests.conftest import Auth
from tests.factories import valid_id_number


@pytest.fixture
def places(make):
    """Two villages in Shuangshipu and one in Hekou."""
    return {"home": make.village("shuangshipu"), "next_door": make.village("shuangshipu"), "far": make.village("hekou")}


def login_as(app, make, role, **extra) -> Auth:
    user = make.user(role, **extra)
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def director(app, make, village) -> Auth:
    return login_as(app, make, Role.CHILD_DIRECTOR, villages=[village.id])


def child_form(village_id: int, **overrides) -> dict:
    data = {
        "name": "李小红",
        "gender": "female",
        "birth_date": "2015-06-12",
        "id_number": valid_id_number(),
        "village_id": str(village_id),
        "school_id": "0",
        "grade": "三年级",
        "categories": ["left_behind"],
        "father_name": "李大山",
        "mother_name": "",
        "guardian_name": "李奶奶",
        "guardian_relation": "祖母",
        "guardian_phone": "13900000000",
        "parents_workplace": "西安",
        "caregiver_name": "李奶奶",
    }
    data.update(overrides)
    return data


def test_child_director_creates_a_file(app, make, places):
    auth = director(app, make, places["home"])
    response = auth.post("/children/new?lang=en", child_form(places["home"].id))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.name == "李小红"))
        assert child.town_id == places["home"].town_id and child.categories == ["left_behind"]
        assert child.id_number == valid_id_number()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"id_number": valid_id_number()[:-1] + ("0" if valid_id_number()[-1] != "0" else "1")},
            "not a valid resident ID",
        ),
        ({"id_number": "12345"}, "not a valid resident ID"),
        ({"id_number": valid_id_number(region="610332")}, "not a valid resident ID"),  # stdnum: KeyError
        ({"birth_date": (date.today() + timedelta(days=3)).isoformat(), "id_number": ""}, "cannot be in the future"),
        ({"birth_date": "2000-01-01", "id_number": ""}, "only for a child under 18"),
        ({"birth_date": "2015-06-13"}, "does not match the date of birth"),
        ({"birth_date": "2015-02-30"}, "valid date"),
        ({"name": ""}, "Please enter a name"),
    ],
)
def test_bad_child_data_is_explained_and_saves_nothing(app, make, places, overrides, message):
    auth = director(app, make, places["home"])
    response = auth.post("/children/new?lang=en", child_form(places["home"].id, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0


def test_duplicate_id_number_is_refused(app, make, places):
    make.child(places["home"].id, id_number=valid_id_number())
    auth = director(app, make, places["home"])
    response = auth.post("/children/new?lang=en", child_form(places["home"].id))
    assert "already exists" in response.get_data(as_text=True)


def test_director_cannot_file_a_child_in_another_village(app, make, places):
    auth = director(app, make, places["home"])
    response = auth.post("/children/new", child_form(places["far"].id))
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COORDINATOR])
@pytest.mark.parametrize(
    "path", ["/children/", "/children/new", "/children/{id}", "/children/{id}/edit", "/children/{id}/add/visit"]
)
def test_volunteers_and_coordinators_never_open_a_file(app, make, places, role, path):
    child = make.child(places["home"].id)
    extra = {"organization": "youth-league"} if role == Role.COORDINATOR else {}
    auth = login_as(app, make, role, **extra)
    assert auth.client.get(path.format(id=child.id)).status_code == 403


@pytest.mark.parametrize(
    "path", ["/children/{id}", "/children/{id}/edit", "/children/{id}/add/visit", "/children/{id}/add/check"]
)
def test_guessing_another_villages_child_id_finds_nothing(app, make, places, path):
    child = make.child(places["next_door"].id)
    auth = director(app, make, places["home"])
    assert auth.client.get(path.format(id=child.id)).status_code == 404
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="hekou")
    assert supervisor.client.get(path.format(id=child.id)).status_code in (403, 404)  # 403: supervisors never edit


def test_posting_to_another_villages_child_changes_nothing(app, make, places):
    child = make.child(places["next_door"].id)
    auth = director(app, make, places["home"])
    response = auth.post(
        f"/children/{child.id}/add/visit", {"kind": "home", "visited_on": date.today().isoformat(), "findings": "入侵"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_lists_show_only_the_users_scope(app, make, places):
    make.child(places["home"].id, name="本村孩子")
    make.child(places["next_door"].id, name="邻村孩子")
    make.child(places["far"].id, name="河口孩子")
    page = director(app, make, places["home"]).client.get("/children/").get_data(as_text=True)
    assert "本村孩子" in page and "邻村孩子" not in page and "河口孩子" not in page
    page = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu").client.get("/children/").get_data(as_text=True)
    assert "本村孩子" in page and "邻村孩子" in page and "河口孩子" not in page
    page = login_as(app, make, Role.ADMIN).client.get("/children/").get_data(as_text=True)
    assert all(n in page for n in ("本村孩子", "邻村孩子", "河口孩子"))


def test_id_number_is_whole_for_the_director_and_masked_for_the_supervisor(app, make, places):
    number = valid_id_number()
    child = make.child(places["home"].id, id_number=number)
    assert number in director(app, make, places["home"]).client.get(f"/children/{child.id}").get_data(as_text=True)
    page = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu").client.get(f"/children/{child.id}")
    text = page.get_data(as_text=True)
    assert number not in text and mask_id_number(number) in text


def test_every_view_is_audited(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    auth.client.get(f"/children/{child.id}")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.viewed"))
        assert entry.object_type == "children" and entry.object_id == child.id and entry.ip_address


def test_visit_with_a_problem_appears_on_the_timeline(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    response = auth.post(
        f"/children/{child.id}/add/visit",
        {
            "kind": "home",
            "visited_on": date.today().isoformat(),
            "findings": "奶奶身体不好",
            "caregiver_ability": "照护能力较弱",
            "psychological_needs": "想念父母",
            "problem": "冬衣不足",
        },
    )
    assert response.status_code == 302
    page = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "奶奶身体不好" in page and "冬衣不足" in page and "Home visit" in page
    with app.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.child_id == child.id))
        assert problem.status == ProblemStatus.OPEN


def test_a_visit_in_the_future_is_refused(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = auth.post(
        f"/children/{child.id}/add/visit?lang=en", {"kind": "phone", "visited_on": tomorrow, "findings": "x"}
    )
    assert "cannot be in the future" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_resolving_a_problem_needs_the_solution(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    auth.post(f"/children/{child.id}/add/problem", {"found_on": date.today().isoformat(), "description": "辍学风险"})
    with app.app_context():
        problem_id = db.session.scalar(select(Problem.id))
    auth.post(
        f"/children/{child.id}/problems/{problem_id}", {"status": "resolved", "handler": "班主任", "solution": ""}
    )
    with app.app_context():
        assert db.session.get(Problem, problem_id).status == ProblemStatus.OPEN
    auth.post(
        f"/children/{child.id}/problems/{problem_id}", {"status": "resolved", "handler": "班主任", "solution": "已返校"}
    )
    with app.app_context():
        problem = db.session.get(Problem, problem_id)
        assert problem.status == ProblemStatus.RESOLVED and problem.resolved_on is not None


def test_file_checks_are_for_supervisors_and_the_county(app, make, places):
    child = make.child(places["home"].id)
    assert director(app, make, places["home"]).client.get(f"/children/{child.id}/add/check").status_code == 403
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu")
    response = supervisor.post(
        f"/children/{child.id}/add/check",
        {"level": "town_full", "checked_on": date.today().isoformat(), "passed": "1", "remarks": "档案齐全"},
    )
    assert response.status_code == 302
    assert "档案齐全" in supervisor.client.get(f"/children/{child.id}").get_data(as_text=True)


def test_supervisors_cannot_edit_files(app, make, places):
    child = make.child(places["home"].id)
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu")
    assert supervisor.client.get(f"/children/{child.id}/edit").status_code == 403
    assert supervisor.client.get(f"/children/{child.id}/add/visit").status_code == 403


@pytest.mark.parametrize(
    ("name", "masked"), [("张小明", "张*明"), ("李红", "李*"), ("欧阳小明", "欧**明"), ("王", "王")]
)
def test_names_outside_the_file_are_masked(name, masked):
    assert mask_name(name) == masked


def test_id_number_mask_hides_the_birth_date():
    assert mask_id_number("610330201506121234") == "610330********1234"


CHILD_ROUTES = [
    "/children/",
    "/children/new",
    "/children/{id}",
    "/children/{id}/edit",
    "/children/{id}/add/visit",
    "/children/{id}/add/check",
    "/children/visits-due",
    "/children/compliance",
    "/children/import",
    "/children/import/template.xlsx",
    "/children/export.xlsx",
]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COORDINATOR])
@pytest.mark.parametrize("path", CHILD_ROUTES)
def test_every_child_data_route_is_closed_to_volunteers_and_coordinators(app, make, places, role, path):
    child = make.child(places["home"].id)
    extra = {"organization": "youth-league"} if role == Role.COORDINATOR else {}
    auth = login_as(app, make, role, **extra)
    assert auth.client.get(path.format(id=child.id)).status_code == 403


@pytest.mark.parametrize("path", CHILD_ROUTES)
def test_every_child_data_route_sends_anonymous_visitors_to_log_in(client, make, places, path):
    child = make.child(places["home"].id)
    response = client.get(path.format(id=child.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_filters_the_audit_log_by_child(app, make, places):
    child, other = make.child(places["home"].id), make.child(places["home"].id, name="别的孩子")
    director(app, make, places["home"]).client.get(f"/children/{child.id}")
    director(app, make, places["home"]).client.get(f"/children/{other.id}")
    admin = login_as(app, make, Role.ADMIN)
    page = admin.client.get(f"/admin/audit/?child={child.id}").get_data(as_text=True)
    assert f"children #{child.id}" in page and f"children #{other.id}" not in page


def test_children_list_does_not_query_per_child(app, make, places, count_queries):
    auth = director(app, make, places["home"])
    make.child(places["home"].id)
    auth.client.get("/children/")
    with count_queries() as few:
        auth.client.get("/children/")
    for i in range(8):
        make.child(places["home"].id, name=f"孩子{i}")
    with count_queries() as many:
        auth.client.get("/children/")
    assert many.n == few.n
