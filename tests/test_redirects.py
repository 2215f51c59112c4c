"""Redirects named by the request (``next``, ``back``) go only to paths on this site: another host, a
protocol-relative or backslash path, a script URL or a path with control characters falls back to the page's
default, while the data change itself still happens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.activities.models import Signup
from app.auth.models import User
from app.auth.routes import safe_next
from app.extensions import db
from app.mentoring.models import Pairing
from tests.conftest import csrf_token
from tests.factories import Factory
from tests.test_activities_manage_actions import _coordinator, _signed_up, _signup
from tests.test_mentoring_ended import ended_pairing

HOSTILE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0a",  # harmless: percent-encoded stays a path
    "http:/evil.example",
    " //evil.example",
]
OUTSIDE = [target for target in HOSTILE if target != "/%0a"]


@pytest.mark.parametrize("target", OUTSIDE)
def test_safe_next_refuses_anything_but_a_path_on_this_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/activities?page=2", "/a/abc123#shifts", "/%0a"])
def test_safe_next_keeps_a_path_on_this_site(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", OUTSIDE)
def test_login_never_sends_the_user_to_another_site(app, make, client, target):
    user = make.user(username="walker")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"identifier": "walker", "password": Factory.PASSWORD, "csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at is not None  # the login itself went through
    again = client.get("/login", query_string={"next": target})  # already logged in
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_login_follows_a_path_on_this_site(make, client):
    make.user(username="walker2")
    response = client.post(
        "/login?next=/activities",
        data={"identifier": "walker2", "password": Factory.PASSWORD, "csrf_token": csrf_token(client, "/login")},
    )
    assert response.headers["Location"] == "/activities"


@pytest.mark.parametrize("target", OUTSIDE)
def test_registration_never_sends_the_volunteer_to_another_site(app, client, target):
    form = {
        "name": "新志愿者",
        "phone": "13700000099",
        "password": "long-enough-pass-1",
        "confirm": "long-enough-pass-1",
        "organization_id": "0",
        "consent": "y",
        "csrf_token": csrf_token(client, "/register"),
    }
    response = client.post("/register", query_string={"next": target}, data=form)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13700000099")) is not None, response.text[:2000]
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OUTSIDE)
def test_a_posted_back_field_never_leaves_the_site(app, make, target):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    _volunteer, signup_id = _signed_up(app, make, activity, started=True)
    auth = _coordinator(app, make)
    auth.post(f"/manage/signups/{signup_id}/checkin")
    response = auth.post(f"/manage/signups/{signup_id}/minutes", {"minutes": "150", "back": target})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/shifts/{activity.shifts[0].id}/checkin"
    assert _signup(app, signup_id).minutes_override == 150


def test_a_posted_back_path_on_this_site_is_followed(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    _volunteer, signup_id = _signed_up(app, make, activity, started=True)
    auth = _coordinator(app, make)
    response = auth.post(f"/manage/signups/{signup_id}/checkin", {"back": f"/manage/activities/{activity.id}"})
    assert response.headers["Location"] == f"/manage/activities/{activity.id}"
    with app.app_context():
        assert db.session.scalar(select(Signup.checked_in_at).where(Signup.id == signup_id)) is not None


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_noting_an_ended_pairing_never_leaves_the_site(app, make, target):
    pairing_id, coordinator = ended_pairing(app, make)
    response = coordinator.post(f"/mentoring/manage/{pairing_id}/noted", {"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/mentoring/manage"
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).end_noted_at is not None
