"""Every route of the URL map, requested as every role, against a record inside and one outside the role's scope.

Each route declares its rule once (``app/permissions.py``: public, logged_in, scoped, permission_required with a
scope). This suite reads the declarations from the URL map, so a new route is covered the day it is added, and a
route without a declaration fails. The expectations come from the world of tests/world.py — which child lives in whose
village, which activity belongs to whose organization — not from the code's own scope checks. Every response is
also searched for the children's full names and whole ID numbers, which only the right people may see.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.permissions import SCOPES, access_rule, can
from tests.conftest import CSRF_RE, Auth
from tests.world import ID_IN, ID_OUT, NAME_IN, NAME_OUT, ROLES, SCOPE_TARGETS, build_world, routes, url_arguments


def _endpoints() -> list[str]:
    from app import create_app
    from tests.conftest import make_test_config

    app = create_app(make_test_config("sqlite://"))
    return sorted({endpoint for endpoint, _rule in routes(app)})


def test_every_route_declares_who_may_use_it(app):
    missing = [endpoint for endpoint, _rule in routes(app) if access_rule(app.view_functions[endpoint]) is None]
    assert missing == [], f"routes without a declared access rule: {missing}"


def test_every_declared_scope_exists_and_names_an_argument_of_its_route(app):
    for endpoint, rule in routes(app):
        declared = access_rule(app.view_functions[endpoint])
        if declared is not None and declared.scope is not None:
            assert declared.scope in SCOPES, endpoint
            assert SCOPES[declared.scope].arg in rule.arguments, endpoint
            assert declared.scope in SCOPE_TARGETS, f"{endpoint}: scope {declared.scope} has no test targets"


def _text(response) -> str:
    """What a person could read in the response: the page, the CSV, or every cell of an XLSX."""
    body = response.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "ignore") for name in archive.namelist() if name.endswith(".xml")
            )
    return body.decode("utf-8", "ignore")


def _expected(declared, role: str, user: User | None, target: str | None, inside: bool) -> str:
    """'allowed', 'login', or the status a refusal answers with."""
    if not declared.login:
        return "allowed"
    if user is None:
        return "login"
    if declared.permission is not None and not can(declared.permission, user):
        return "403"
    if declared.scope is None:
        return "allowed"
    return "allowed" if inside else str(SCOPES[declared.scope].deny)


def _check_privacy(text: str, role: str, where: str) -> None:
    sees_in = role in ("admin", "supervisor", "director")
    sees_out = role == "admin"
    full_id_in = role in ("admin", "director")
    if not sees_in:
        assert NAME_IN not in text, f"{where}: the full name of a child outside the scope"
    if not sees_out:
        assert NAME_OUT not in text, f"{where}: the full name of a child outside the scope"
    if not full_id_in:
        assert ID_IN not in text, f"{where}: a whole ID number"
    if role != "admin":
        assert ID_OUT not in text, f"{where}: a whole ID number"


def _assert_outcome(response, expected: str, where: str) -> None:
    location = response.headers.get("Location", "")
    if expected == "allowed":
        # Allowed: any answer but a refusal or a crash (a check-in outside its window may say so with a 400).
        assert response.status_code < 500 and response.status_code not in (401, 403, 404), (
            f"{where}: {response.status_code}"
        )
        assert "/login" not in location, f"{where}: sent to the login page"
    elif expected == "login":
        assert response.status_code == 302 and "/login" in location, f"{where}: {response.status_code} {location}"
    else:
        assert response.status_code == int(expected), f"{where}: {response.status_code}, expected {expected}"


@pytest.mark.parametrize("endpoint", _endpoints())
def test_route_answers_every_role_by_its_declared_rule(app, make, endpoint):
    world = build_world(app, make)
    rule = next(rule for name, rule in routes(app) if name == endpoint)
    declared = access_rule(app.view_functions[endpoint])
    assert declared is not None, f"{endpoint} declares no access rule"
    for role in ROLES:
        client = app.test_client()
        user = world.users.get(role)
        if user is not None:
            response = Auth(client).login(user.login_name)
            assert response.status_code == 302, f"{role} could not log in"
        if declared.scope:
            inside, outside = SCOPE_TARGETS[declared.scope].get(role, (None, None))
            targets = [(key, key == inside) for key in (inside, outside) if key is not None]
            if not targets:  # a role the permission already refuses: any record will do
                default = next(iter(SCOPE_TARGETS[declared.scope].values()))[0]
                targets = [(default, False)]
        else:
            targets = [(None, True)]
        for key, inside in targets:
            url_values = url_arguments(app, endpoint, rule, world, key, role)
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **url_values)
            expected = _expected(declared, role, user, key, inside)
            where = f"{endpoint} as {role} ({'inside' if inside else 'outside'} scope: {url})"
            if "GET" in rule.methods:
                response = client.get(url)
                _assert_outcome(response, expected, where)
                _check_privacy(_text(response), role, where)
            if "POST" in rule.methods and expected != "allowed":
                token = _csrf_token(client)
                response = client.post(url, data={"csrf_token": token})
                _assert_outcome(response, expected, f"POST {where}")
                _check_privacy(_text(response), role, f"POST {where}")


def _csrf_token(client) -> str:
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True)) or CSRF_RE.search(
        client.get("/account").get_data(as_text=True)
    )
    if match is None:  # a logged-in user is redirected from /login: any page with a form carries the token
        page = client.get("/account/password").get_data(as_text=True)
        match = CSRF_RE.search(page)
    assert match, "no CSRF token to be found"
    return match.group(1)


def test_the_privacy_check_can_fail(app, make):
    """The check above catches a leak: the administrator's file page shows name and ID, which a coordinator may not."""
    world = build_world(app, make)
    client = app.test_client()
    Auth(client).login(world.users["admin"].login_name)
    page = client.get(f"/children/{world.ids['child_in']}").get_data(as_text=True)
    assert NAME_IN in page and ID_IN in page
    with pytest.raises(AssertionError):
        _check_privacy(page, "coordinator", "an administrator's page shown to a coordinator")
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.id == world.users["director"].id))
