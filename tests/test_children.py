"""One file per child: validation, least privilege (incl. guessed ids), masking, the timeline and the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import (
    CareAction,
    CareKind,
    Child,
    ChildStatus,
    FileCheck,
    Problem,
    ProblemSource,
    ProblemStatus,
    Visit,
)
from app.childcare.services import mask_id_number, mask_name, today
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
        "on_record_since": "2024-03-01",
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
    assert f"儿童档案 #{child.id}" in page and f"儿童档案 #{other.id}" not in page


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


# --- care actions, directors, history, audits, checks, closing (issue 10) ---------------------------------------


def test_care_action_form_saves_every_field(app, make, places):
    child = make.child(places["home"].id)
    organization = make.organization(name_zh="县残联康复中心")
    auth = director(app, make, places["home"])
    response = auth.post(
        f"/children/{child.id}/add/care",
        {
            "kind": "rehabilitation",
            "acted_on": (date.today() - timedelta(days=3)).isoformat(),
            "organization_id": str(organization.id),
            "notes": "康复训练每周两次",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        action = db.session.scalar(select(CareAction).where(CareAction.child_id == child.id))
        assert (action.kind, action.acted_on, action.organization_id, action.notes) == (
            CareKind.REHABILITATION,
            date.today() - timedelta(days=3),
            organization.id,
            "康复训练每周两次",
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.care_recorded"))
        assert entry.detail["care_action"] == action.id and entry.object_id == child.id


def _file_of(app, name: str) -> Child:
    with app.app_context():
        return db.session.scalar(select(Child).where(Child.name == name))


def test_a_directors_new_file_is_theirs_and_an_edit_keeps_its_director(app, make, places):
    mine = make.user(Role.CHILD_DIRECTOR, villages=[places["home"].id])
    colleague = make.user(Role.CHILD_DIRECTOR, villages=[places["home"].id])
    auth = login_as_user(app, mine)
    assert auth.post("/children/new", child_form(places["home"].id)).status_code == 302
    child = _file_of(app, "李小红")
    assert child.director_id == mine.id and child.on_record_since == date(2024, 3, 1)
    response = login_as_user(app, colleague).post(
        f"/children/{child.id}/edit", child_form(places["home"].id, grade="四年级", director_id=str(colleague.id))
    )
    assert response.status_code == 302
    edited = _file_of(app, "李小红")
    assert edited.grade == "四年级" and edited.director_id == mine.id


def login_as_user(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.login_name)
    return auth


def test_the_administrator_assigns_an_active_director_of_the_village(app, make, places):
    child = make.child(places["home"].id, name="李小红", id_number=valid_id_number(), birth=date(2015, 6, 12))
    here = make.user(Role.CHILD_DIRECTOR, villages=[places["home"].id], name="本村主任")
    there = make.user(Role.CHILD_DIRECTOR, villages=[places["far"].id], name="河口主任")
    admin = login_as(app, make, Role.ADMIN)
    form_page = admin.client.get(f"/children/{child.id}/edit?lang=en").get_data(as_text=True)
    assert 'name="director_id"' in form_page and "本村主任" in form_page
    assert 'name="director_id"' not in director(app, make, places["home"]).client.get("/children/new").get_data(
        as_text=True
    )
    response = admin.post(
        f"/children/{child.id}/edit?lang=en", child_form(places["home"].id, director_id=str(there.id))
    )
    assert response.status_code == 422
    assert "is not an active child director of this village" in response.get_data(as_text=True)
    assert _file_of(app, "李小红").director_id is None
    response = admin.post(f"/children/{child.id}/edit", child_form(places["home"].id, director_id=str(here.id)))
    assert response.status_code == 302
    assert _file_of(app, "李小红").director_id == here.id


def test_a_change_records_each_field_and_the_file_shows_its_history(app, make, places):
    number = valid_id_number()
    child = make.child(places["home"].id, name="李小红", id_number=number, birth=date(2015, 6, 12), grade="三年级")
    auth = director(app, make, places["home"])
    new_number = valid_id_number("20150612", "456")
    response = auth.post(
        f"/children/{child.id}/edit", child_form(places["home"].id, grade="四年级", id_number=new_number)
    )
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.updated"))
        assert entry.detail["changes"]["grade"] == ["三年级", "四年级"]
        assert entry.detail["changes"]["id_number"] == [number, new_number]
        assert entry.detail["via"] == "form"
    page = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert "Grade: <del>三年级</del> → <ins>四年级</ins>" in history
    assert f"<del>{number}</del>" in history
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu")
    page = supervisor.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert number not in page and new_number not in page
    assert f"<del>{mask_id_number(number)}</del> → <ins>{mask_id_number(new_number)}</ins>" in history


def test_saving_an_unchanged_file_records_no_change(app, make, places):
    auth = director(app, make, places["home"])
    form = child_form(places["home"].id, risk_flags=["behaviour"])
    assert auth.post("/children/new", form).status_code == 302
    child = _file_of(app, "李小红")
    assert auth.post(f"/children/{child.id}/edit", form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.created")) is not None
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.updated")) is None
    assert auth.post(f"/children/{child.id}/edit", {**form, "risk_flags": []}).status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.updated"))
        assert entry.detail["changes"] == {"risk_flags": [["behaviour"], []]}


def test_opening_the_edit_form_is_audited(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    assert auth.client.get(f"/children/{child.id}/edit").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.edit_opened"))
        assert entry is not None and entry.object_id == child.id


def test_a_search_by_anyone_but_the_childrens_director_is_audited(app, make, places):
    make.child(places["home"].id, name="李小红")
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu")
    assert "李小红" in supervisor.client.get("/children/?q=李").get_data(as_text=True)
    director(app, make, places["home"]).client.get("/children/?q=李")
    with app.app_context():
        searches = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "child.searched")).all()
        assert [(e.detail["q"], e.detail["count"], e.detail["where"]) for e in searches] == [("李", 1, "files")]


def test_county_spot_checks_are_the_countys_and_town_checks_the_towns_supervisor(app, make, places):
    child = make.child(places["home"].id)
    today_ = date.today().isoformat()
    supervisor = login_as(app, make, Role.TOWN_SUPERVISOR, town="shuangshipu")
    admin = login_as(app, make, Role.ADMIN)
    form = supervisor.client.get(f"/children/{child.id}/add/check").get_data(as_text=True)
    assert 'value="town_full"' in form and 'value="county_spot"' not in form
    form = admin.client.get(f"/children/{child.id}/add/check").get_data(as_text=True)
    assert 'value="county_spot"' in form and 'value="town_full"' not in form
    for auth, level in ((supervisor, "county_spot"), (admin, "town_full")):
        response = auth.post(f"/children/{child.id}/add/check", {"level": level, "checked_on": today_, "passed": "1"})
        assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(FileCheck.id))) == 0
    for auth, level in ((supervisor, "town_full"), (admin, "county_spot")):
        response = auth.post(f"/children/{child.id}/add/check", {"level": level, "checked_on": today_, "passed": "1"})
        assert response.status_code == 302
    with app.app_context():
        levels = sorted(str(c.level) for c in db.session.scalars(select(FileCheck)))
        assert levels == ["county_spot", "town_full"]


def test_closing_a_file_twice_is_refused(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    assert auth.post(f"/children/{child.id}/close", {"reason": "moved_away"}).status_code == 302
    response = auth.post(f"/children/{child.id}/close?lang=en", {"reason": "other_reason"}, follow_redirects=True)
    assert "already closed" in response.get_data(as_text=True)
    with app.app_context():
        closed = db.session.get(Child, child.id)
        assert (closed.status, str(closed.close_reason)) == (ChildStatus.CLOSED, "moved_away")
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "child.closed")) == 1


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ((date.today() + timedelta(days=2)).isoformat(), "cannot be on record from a future day"),
        ("2015-06-11", "cannot be on record before the child was born"),
        ("", "Please enter a valid date"),
    ],
)
def test_the_on_record_date_of_a_new_file_is_checked(app, make, places, since, message):
    auth = director(app, make, places["home"])
    response = auth.post("/children/new?lang=en", child_form(places["home"].id, on_record_since=since))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0


def test_a_new_files_form_is_on_record_from_today(app, make, places):
    page = director(app, make, places["home"]).client.get("/children/new").get_data(as_text=True)
    assert f'name="on_record_since" required type="date" value="{today().isoformat()}"' in page


def test_each_problem_says_where_it_came_from(app, make, places):
    child = make.child(places["home"].id)
    auth = director(app, make, places["home"])
    auth.post(
        f"/children/{child.id}/add/visit",
        {"kind": "home", "visited_on": date.today().isoformat(), "findings": "走访", "problem": "冬衣不足"},
    )
    auth.post(f"/children/{child.id}/add/problem", {"found_on": date.today().isoformat(), "description": "辍学风险"})
    activity = make.activity("youth-league", town="shuangshipu", title="安全知识进村")
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    with app.app_context():
        db.session.add(
            Problem(
                child_id=child.id,
                found_on=date.today(),
                description="手臂有淤青",
                author_id=coordinator.id,
                source=ProblemSource.ACTIVITY,
                activity_id=activity.id,
            )
        )
        db.session.commit()
        sources = dict(db.session.execute(select(Problem.description, Problem.source)).all())
    assert sources["冬衣不足"] == ProblemSource.VISIT and sources["辍学风险"] == ProblemSource.FILE
    page = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "Found on a visit" in page and "Recorded on the file" in page
    assert f'Noted at an activity: <a href="/a/{activity.code}">安全知识进村</a>' in page


def test_a_file_at_its_age_limit_asks_to_confirm_closing(app, make, places):
    sixteen = date.today().replace(month=1, day=1) - timedelta(days=366 * 16 + 10)
    child = make.child(places["home"].id, birth=sixteen, categories=["left_behind"])
    younger = make.child(places["home"].id, name="困境儿童", birth=sixteen, categories=["left_behind", "disabled"])
    auth = director(app, make, places["home"])
    page = auth.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "reached the file’s age limit (16 years)" in page
    asked = auth.client.get(f"/children/{child.id}/close?lang=en").get_data(as_text=True)
    # The question names the age limit, but the reason is the director's to choose: nothing is preselected, and a
    # 16-year-old cannot be closed as "turned 18".
    assert "reached the file’s age limit (16 years)" in asked
    assert "selected" not in asked and 'value="turned_18"' not in asked and 'value="age_limit"' in asked
    other = auth.client.get(f"/children/{younger.id}?lang=en").get_data(as_text=True)
    assert "reached the file’s age limit" not in other
    with app.app_context():
        assert db.session.get(Child, child.id).status == ChildStatus.ACTIVE  # nothing closes by itself
