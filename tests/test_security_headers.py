"""Every response carries the security headers: the site's own Content-Security-Policy, nosniff, no framing, a
same-origin referrer, ``Cache-Control: no-store`` on everything but the public static files, and HSTS only over
HTTPS. Session cookies are Secure exactly when the site is served over HTTPS (an HTTP-only intranet can log in)."""

from __future__ import annotations

import pytest
from flask import url_for

from app import create_app
from app.extensions import db
from app.permissions import access_rule
from app.security import CONTENT_SECURITY_POLICY
from config import ProductionConfig
from tests.conftest import Auth, make_test_config
from tests.world import SCOPE_TARGETS, build_world, routes, url_arguments

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_headers(response, where: str, *, private: bool = True) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    if private:
        assert response.headers.get("Cache-Control") == "no-store", f"{where}: {response.headers.get('Cache-Control')}"
    assert "Strict-Transport-Security" not in response.headers, f"{where}: HSTS over plain HTTP"


@pytest.fixture
def fresh_app(database_url):
    """Build an app of the suite's database with other settings; its connections are closed afterwards."""
    built = []

    def build(**settings):
        built.append(create_app(make_test_config(database_url, **settings)))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def test_the_policy_is_the_documented_one():
    assert EXPECTED["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_every_get_route_answers_with_the_headers_as_the_administrator_and_anonymously(app, make):
    world = build_world(app, make)
    admin = app.test_client()
    assert Auth(admin).login(world.users["admin"].login_name).status_code == 302
    anonymous = app.test_client()
    checked = 0
    statuses = set()
    for endpoint, rule in routes(app):
        if "GET" not in rule.methods:
            continue
        scope = access_rule(app.view_functions[endpoint]).scope
        key = None
        if scope:
            inside, outside = SCOPE_TARGETS[scope].get("admin", (None, None))
            key = inside or outside or next(iter(SCOPE_TARGETS[scope].values()))[0]
        with app.test_request_context():
            url = url_for(endpoint, **url_arguments(app, endpoint, rule, world, key, "admin"))
        for who, client in (("admin", admin), ("anonymous", anonymous)):
            response = client.get(url)
            statuses.add(response.status_code)
            assert response.status_code < 500, f"{url} as {who}: {response.status_code}"
            assert_headers(response, f"{url} as {who} ({response.status_code})")
            checked += 1
    assert checked > 100
    assert {200, 302} <= statuses  # pages and files, and the anonymous redirects to the login


def test_error_pages_and_static_files_carry_the_headers(app, make, client):
    assert_headers(client.get("/no/such/page"), "404")
    refused = client.post("/login", data={"identifier": "x", "password": "y"})  # no CSRF token
    assert refused.status_code == 400
    assert_headers(refused, "400")
    volunteer = make.user()
    Auth(client).login(volunteer.username)
    forbidden = client.get("/reports/departments")
    assert forbidden.status_code == 403
    assert_headers(forbidden, "403")
    for path in ("/static/css/shouhu.css", "/static/js/shouhu.js", "/static/img/logo.svg"):
        with client.get(path) as response:
            assert response.status_code == 200
            assert_headers(response, path, private=False)
            assert response.headers.get("Cache-Control") != "no-store"  # the same file for everyone may be cached
    assert_headers(client.get("/static/no-such.css"), "static 404", private=False)


def test_a_server_error_page_carries_the_headers(fresh_app):
    app = fresh_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert_headers(response, "500")


def test_a_page_holding_personal_data_is_never_stored(app, make, client):
    village = make.village()
    make.child(village.id, name="司徒小雨")
    Auth(client).login(make.admin().username)
    for path in ("/children/", "/children/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store" and "Expires" not in response.headers


def test_hsts_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://shouhu.test")
    assert secure.headers["Strict-Transport-Security"] == f"max-age={app.config['HSTS_MAX_AGE']}"
    assert secure.headers["Content-Security-Policy"] == EXPECTED["Content-Security-Policy"]


def test_hsts_behind_a_proxy_follows_the_forwarded_scheme(fresh_app):
    app = fresh_app(PROXY_COUNT=1)
    client = app.test_client()
    assert "Strict-Transport-Security" in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "http"}).headers


@pytest.mark.parametrize(
    ("base_url", "explicit", "secure"),
    [
        ("https://shouhu.fengxian.gov.cn", None, True),
        ("http://10.1.2.3:8000", None, False),
        ("https://shouhu.fengxian.gov.cn", "0", False),
        ("http://10.1.2.3:8000", "1", True),
    ],
)
def test_cookies_are_secure_when_the_site_is_served_over_https(monkeypatch, base_url, explicit, secure):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/shouhu")
    monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
    if explicit is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", explicit)
    config = ProductionConfig()
    assert config.SESSION_COOKIE_SECURE is secure and config.REMEMBER_COOKIE_SECURE is secure


def test_a_secure_cookie_setting_marks_the_login_cookie_secure(fresh_app):
    app = fresh_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    client.get("/login")
    cookies = [value for name, value in client.get("/login?lang=en").headers.items() if name == "Set-Cookie"]
    assert cookies and all("Secure" in cookie for cookie in cookies)
