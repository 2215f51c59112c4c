"""Every GET route's query parameters, given hostile values, answer a page or a 4xx: never a 5xx.

The parameters are those the routes read (``request.args.get(...)``, ``?page=``); the routes are every GET route of
the URL map — those whose URLs take ids with the real ids of the small world of tests/world.py — requested as the
county administrator (who may open the most pages) and as a child director. The text arguments of a URL (an
activity's code, a town's code, a token, a format) get hostile values too. A NUL or other control character in a
query string is refused with a 400 page that says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import url_for

from app.auth.models import Role
from app.childcare.entry_routes import ENTRY_FORMS
from tests.conftest import Auth
from tests.world import build_world, inside_url, routes, url_arguments

APP = Path(__file__).resolve().parent.parent / "app"
PARAMS = sorted(
    {
        *(
            match
            for path in APP.rglob("*.py")
            for match in re.findall(r"request\.args\.get\(\s*\"(\w+)\"", path.read_text(encoding="utf-8"))
        ),
        "page",
    }
)
HOSTILE = [
    "",
    "x" * 10_000,
    "😀" * 50,
    "abc",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "2026-13",
    "'; DROP TABLE users; --",
    "%",
    "<script>alert(1)</script>",
]
CONTROL = ["a\x00b", "\x07", "\x1b[31m"]
# Hostile values for a URL's text arguments (<code>, <token>, <town_code>, <kind>, <fmt>, <action>).
HOSTILE_ARGUMENTS = ["x" * 2000, "😀", "abc", "0", "-1", "..", "%00", "'; DROP TABLE users; --", "<b>"]
TEXT_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def _get_routes(app) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
        }
    )


def _users(make) -> dict:
    village = make.village("shuangshipu")
    make.child(village.id, name="王小明")
    make.activity("youth-league", town="shuangshipu", days_ahead=3)
    return {
        "admin": make.admin(),
        "director": make.user(Role.CHILD_DIRECTOR, villages=[village.id]),
    }


def test_found_the_query_parameters_the_routes_read():
    assert {"page", "q", "village", "town", "year", "month", "status", "kind"} <= set(PARAMS)


def _hostile_queries(client, path: str) -> list[tuple]:
    """Every parameter at once with each hostile value, then each parameter alone with a 23-digit number."""
    failures = []
    for value in HOSTILE:
        response = client.get(path, query_string=dict.fromkeys(PARAMS, value))
        if response.status_code >= 500:
            failures.append((path, value[:30], response.status_code))
    for name in PARAMS:
        response = client.get(path, query_string={name: HOSTILE[6]})
        if response.status_code >= 500:
            failures.append((path, name, response.status_code))
    return failures


@pytest.mark.parametrize("role", ["admin", "director"])
def test_hostile_query_values_never_answer_a_server_error(app, make, auth, role):
    user = _users(make)[role]
    auth.login(user.login_name)
    failures = []
    for path in _get_routes(app):
        failures += _hostile_queries(auth.client, path)
    assert failures == []


@pytest.mark.parametrize("role", ["admin", "director", "volunteer"])
def test_hostile_query_values_on_pages_with_ids_never_answer_a_server_error(app, make, role):
    """The pages whose URLs take ids, on the world's records inside the role's scope (each kind of a file's entry)."""
    world = build_world(app, make)
    auth = Auth(app.test_client())
    auth.login(world.users[role].login_name)
    failures, opened = [], 0
    for endpoint, rule in routes(app):
        if "GET" not in rule.methods or not rule.arguments:
            continue
        url = inside_url(app, endpoint, rule, world, role)
        if url is None:
            continue
        urls = [url.rsplit("/", 1)[0] + f"/{kind}" for kind in ENTRY_FORMS] if "<kind>" in rule.rule else [url]
        for each in urls:
            opened += auth.client.get(each).status_code == 200
            failures += _hostile_queries(auth.client, each)
    assert opened >= 5
    assert failures == []


def test_hostile_text_in_a_urls_arguments_never_answers_a_server_error(app, make):
    """Each text argument of each URL (the others real) with hostile values, as the administrator."""
    world = build_world(app, make)
    auth = Auth(app.test_client())
    auth.login(world.users["admin"].login_name)
    failures, tried = [], 0
    for endpoint, rule in routes(app):
        texts = [name for converter, name in TEXT_ARGUMENT.findall(rule.rule) if converter in ("", "string")]
        if "GET" not in rule.methods or not texts:
            continue
        with app.test_request_context():
            values = url_arguments(app, endpoint, rule, world, None, "admin")
        for name in texts:
            for value in HOSTILE_ARGUMENTS:
                with app.test_request_context():
                    url = url_for(endpoint, **{**values, name: value})
                response = auth.client.get(url)
                tried += 1
                if response.status_code >= 500:
                    failures.append((endpoint, name, value[:20], response.status_code))
    assert tried > 50
    assert failures == []


def test_a_control_character_in_a_query_string_is_refused_with_a_clear_page(app, make, auth):
    auth.login(_users(make)["admin"].login_name)
    for path in ("/children/", "/directory/", "/admin/audit/", "/admin/accounts/", "/manage/"):
        for value in CONTROL:
            response = auth.client.get(path, query_string={"q": value, "lang": "en"})
            assert response.status_code == 400, path
            assert "invalid control characters" in response.get_data(as_text=True)


def test_a_huge_page_number_shows_the_first_page(app, make, auth):
    auth.login(_users(make)["admin"].login_name)
    response = auth.client.get("/children/", query_string={"page": "99999999999999999999999"})
    assert response.status_code == 200
    assert "王小明" in response.get_data(as_text=True)
