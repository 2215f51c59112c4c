"""Every GET route's query parameters, given hostile values, answer a page or a 4xx: never a 5xx.

The parameters are those the routes read (``request.args.get(...)``, ``?page=``); the routes are every argument-free
GET route of the URL map, requested as the county administrator (who may open the most pages) and as a child
director. A NUL or other control character in a query string is refused with a 400 page that says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.auth.models import Role

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


@pytest.mark.parametrize("role", ["admin", "director"])
def test_hostile_query_values_never_answer_a_server_error(app, make, auth, role):
    user = _users(make)[role]
    auth.login(user.login_name)
    failures = []
    for path in _get_routes(app):
        for value in HOSTILE:
            response = auth.client.get(path, query_string=dict.fromkeys(PARAMS, value))
            if response.status_code >= 500:
                failures.append((path, value[:30], response.status_code))
        for name in PARAMS:
            response = auth.client.get(path, query_string={name: HOSTILE[6]})
            if response.status_code >= 500:
                failures.append((path, name, response.status_code))
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
