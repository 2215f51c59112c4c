"""The administrator manages staff accounts; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.directory.models import Village
from app.extensions import db
from tests.conftest import Auth

ADMIN_PAGES = [
    ("get", "/admin/accounts/"),
    ("get", "/admin/accounts/new"),
    ("get", "/admin/audit/"),
    ("get", "/directory/organizations/new"),
    ("get", "/directory/villages/new"),
    ("get", "/directory/import"),
]
STAFF_PAGES = [("get", "/directory/organizations"), ("get", "/directory/villages")]


def logged_in(app, make, role: Role) -> Auth:
    extra = {
        Role.COORDINATOR: {"organization": "youth-league"},
        Role.TOWN_SUPERVISOR: {"town": "shuangshipu"},
    }.get(role, {})
    user = make.user(role, **extra)
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_other_roles(app, make, role, method, path):
    auth = logged_in(app, make, role)
    response = getattr(auth.client, method)(path)
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES + STAFF_PAGES)
def test_admin_pages_send_anonymous_users_to_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES + STAFF_PAGES)
def test_admin_can_open_admin_pages(app, make, method, path):
    auth = logged_in(app, make, Role.ADMIN)
    assert getattr(auth.client, method)(path).status_code == 200


def test_volunteers_cannot_open_the_directory(app, make):
    auth = logged_in(app, make, Role.VOLUNTEER)
    assert auth.client.get("/directory/villages").status_code == 403


def test_forbidden_post_changes_nothing(app, make):
    target = make.user(username="target-user")
    auth = logged_in(app, make, Role.COORDINATOR)
    response = auth.post(f"/admin/accounts/{target.id}/active", {"active": "0"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, target.id).is_active


def staff_form(**overrides) -> dict:
    data = {
        "name": "团县委联络员",
        "username": "yl-coordinator",
        "phone": "",
        "role": "coordinator",
        "organization_id": "0",
        "town_id": "0",
        "password": "first-pass-2026",
    }
    data.update(overrides)
    return data


def organization_id(app, code: str) -> int:
    from app.directory.models import Organization

    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == code))


def test_admin_creates_a_coordinator_who_must_change_the_first_password(app, make):
    auth = logged_in(app, make, Role.ADMIN)
    org_id = organization_id(app, "youth-league")
    response = auth.post("/admin/accounts/new", staff_form(organization_id=str(org_id)))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "yl-coordinator"))
        assert user.role == Role.COORDINATOR
        assert user.organization_id == org_id
        assert user.must_change_password
    newcomer = Auth(app.test_client())
    newcomer.login("yl-coordinator", "first-pass-2026")
    assert newcomer.client.get("/").headers["Location"] == "/account/password"


def test_coordinator_without_organization_is_refused(app, make):
    auth = logged_in(app, make, Role.ADMIN)
    response = auth.post("/admin/accounts/new?lang=en", staff_form())
    assert response.status_code == 422
    assert "needs an organization" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "yl-coordinator")) is None


def test_child_director_gets_villages(app, make):
    auth = logged_in(app, make, Role.ADMIN)
    first, second = make.village(), make.village()
    form = {**staff_form(role="child_director", username="director-x"), "village_ids": [first.id, second.id]}
    response = auth.post("/admin/accounts/new", form)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "director-x"))
        assert sorted(v.id for v in user.villages) == sorted([first.id, second.id])


def test_child_director_without_villages_is_refused(app, make):
    auth = logged_in(app, make, Role.ADMIN)
    response = auth.post("/admin/accounts/new?lang=en", staff_form(role="child_director", username="dir-y"))
    assert "at least one village" in response.get_data(as_text=True)


def test_duplicate_username_and_bad_phone_are_refused(app, make):
    make.user(username="taken-name")
    auth = logged_in(app, make, Role.ADMIN)
    org = str(organization_id(app, "youth-league"))
    page = auth.post("/admin/accounts/new?lang=en", staff_form(username="Taken-Name", organization_id=org))
    assert "already taken" in page.get_data(as_text=True)
    page = auth.post("/admin/accounts/new?lang=en", staff_form(phone="555-1234", organization_id=org))
    assert "valid mainland mobile number" in page.get_data(as_text=True)


def test_admin_resets_a_password_and_ends_the_sessions(app, make):
    target = make.user(username="forgetful")
    victim = Auth(app.test_client())
    victim.login("forgetful")
    auth = logged_in(app, make, Role.ADMIN)
    response = auth.post(f"/admin/accounts/{target.id}/password", {"reset-password": "reset-pass-2026"})
    assert response.status_code == 302
    assert victim.client.get("/account").status_code == 302
    again = Auth(app.test_client())
    assert again.login("forgetful", "reset-pass-2026").status_code == 302
    assert again.client.get("/").headers["Location"] == "/account/password"


def test_admin_cannot_deactivate_themselves(app, make):
    admin = make.admin(username="only-admin")
    auth = Auth(app.test_client())
    auth.login("only-admin")
    auth.post(f"/admin/accounts/{admin.id}/active", {"active": "0"})
    with app.app_context():
        assert db.session.get(User, admin.id).is_active


def test_admin_reactivates_an_account(app, make):
    target = make.user(username="back-again", is_active=False)
    auth = logged_in(app, make, Role.ADMIN)
    auth.post(f"/admin/accounts/{target.id}/active", {"active": "1"})
    assert Auth(app.test_client()).login("back-again").status_code == 302


def test_editing_the_role_drops_links_the_new_role_does_not_use(app, make):
    village = make.village()
    target = make.user(Role.CHILD_DIRECTOR, username="was-director", villages=[village.id])
    auth = logged_in(app, make, Role.ADMIN)
    town_id = make.town("fengzhou").id
    response = auth.post(
        f"/admin/accounts/{target.id}",
        {
            "name": "新督导员",
            "username": "was-director",
            "role": "town_supervisor",
            "organization_id": "0",
            "town_id": str(town_id),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.role == Role.TOWN_SUPERVISOR and user.town_id == town_id
        assert user.villages == []
        assert db.session.get(Village, village.id) is not None


def test_account_list_filters_by_role_and_search(app, make):
    make.user(Role.VOLUNTEER, name="志愿者甲")
    make.user(Role.CHILD_DIRECTOR, name="主任乙")
    auth = logged_in(app, make, Role.ADMIN)
    page = auth.client.get("/admin/accounts/?role=child_director").get_data(as_text=True)
    assert "主任乙" in page and "志愿者甲" not in page
    page = auth.client.get("/admin/accounts/?q=志愿者").get_data(as_text=True)
    assert "志愿者甲" in page and "主任乙" not in page


def test_account_list_does_not_query_per_row(app, make, count_queries):
    auth = logged_in(app, make, Role.ADMIN)

    def add_directors(n: int) -> None:
        for _ in range(n):
            make.user(Role.CHILD_DIRECTOR, villages=[make.village().id], organization="mca")

    add_directors(2)
    with count_queries() as few:
        auth.client.get("/admin/accounts/?role=child_director")
    add_directors(8)
    with count_queries() as many:
        auth.client.get("/admin/accounts/?role=child_director")
    assert many.n == few.n
