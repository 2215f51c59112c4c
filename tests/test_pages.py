"""Pages every visitor sees: home per role (worklists first, then the menu), errors in both languages, the health
check, no external assets."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.auth.models import Role
from tests.conftest import Auth, make_test_config

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer

ROLE_LINKS = {
    Role.ADMIN: ["/admin/accounts/", "/directory/organizations", "/directory/import", "/admin/audit/"],
    Role.COORDINATOR: ["/directory/organizations", "/account/password"],
    Role.TOWN_SUPERVISOR: ["/directory/villages"],
    Role.CHILD_DIRECTOR: ["/directory/villages"],
    Role.VOLUNTEER: ["/account/password"],
}


def test_home_shows_whats_coming_up_and_invites_volunteers(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Coming up" in page
    assert "No activities are published yet" in page
    assert 'href="/register"' in page


@pytest.mark.parametrize("role", list(Role))
def test_home_shows_what_each_role_can_do(app, make, role):
    extra = {Role.COORDINATOR: {"organization": "youth-league"}, Role.TOWN_SUPERVISOR: {"town": "shuangshipu"}}
    user = make.user(role, **extra.get(role, {}))
    auth = Auth(app.test_client())
    auth.login(user.username)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    for link in ROLE_LINKS[role]:
        assert f'href="{link}"' in page
    if role != Role.ADMIN:
        assert 'href="/admin/accounts/"' not in page


def test_a_logged_in_home_page_skips_the_welcome_and_keeps_the_menu_below_the_worklists(app, make):
    village = make.village()
    make.child(village.id, name="待走访儿童")
    auth = Auth(app.test_client())
    auth.login(make.user(Role.CHILD_DIRECTOR, villages=[village.id]).username)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "Volunteer with us" not in page and 'href="/register"' not in page.split('id="upcoming"')[0]
    assert page.index('id="visits-due"') < page.index('id="menu"') < page.index('id="upcoming"')


@pytest.mark.parametrize(("lang", "text"), [("en", "Page not found"), ("zh_Hans_CN", "页面不存在")])
def test_unknown_url_is_a_404_page_in_the_users_language(client, lang, text):
    response = client.get(f"/no/such/page?lang={lang}")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "text"), [("en", "Not allowed"), ("zh_Hans_CN", "无权访问")])
def test_forbidden_page_is_a_403_page(app, make, lang, text):
    make.user(username="vol")
    auth = Auth(app.test_client())
    auth.login("vol")
    response = auth.client.get(f"/admin/accounts/?lang={lang}")
    assert response.status_code == 403
    assert text in response.get_data(as_text=True)


def test_unexpected_error_is_a_500_page_without_a_trace():
    app = create_app(make_test_config("sqlite://"))

    @app.route("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/_boom?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app(make_test_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"


EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/privacy", "/no-such-page"])
def test_pages_load_nothing_from_the_internet(client, path):
    page = client.get(path).get_data(as_text=True)
    assert EXTERNAL.search(page) is None


@pytest.mark.parametrize("path", ["/static/css/shouhu.css", "/static/img/logo.svg"])
def test_static_assets_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    response.close()
