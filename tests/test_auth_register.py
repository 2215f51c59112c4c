"""Volunteers register themselves; bad input gets a clear message and creates nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db
from tests.conftest import csrf_token


def register(client, lang: str = "en", **overrides):
    data = {
        "name": "王小明",
        "phone": "138 0013 8000",
        "password": "volunteer-2026",
        "confirm": "volunteer-2026",
        "organization_id": "0",
        "consent": "y",
        "csrf_token": csrf_token(client, "/register"),
    }
    data.update(overrides)
    return client.post(f"/register?lang={lang}", data={k: v for k, v in data.items() if v is not None})


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_volunteer_registers_and_is_logged_in(client, app):
    response = register(client)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13800138000"))
        assert user.role == Role.VOLUNTEER
        assert user.privacy_consent_at is not None
        assert user.password_hash != "volunteer-2026"
        assert user.password_hash.startswith(("scrypt", "pbkdf2"))
    assert client.get("/account").status_code == 200


def test_registration_keeps_the_chosen_organization(client, app):
    with app.app_context():
        from app.directory.models import Organization

        youth = db.session.scalar(select(Organization).where(Organization.code == "youth-league"))
    register(client, organization_id=str(youth.id))
    with app.app_context():
        assert db.session.scalar(select(User.organization_id).where(User.phone == "13800138000")) == youth.id


def test_registration_then_goes_where_the_volunteer_was_headed(client):
    token = csrf_token(client, "/register")
    response = client.post(
        "/register?next=/account",
        data={
            "name": "李",
            "phone": "13800138001",
            "password": "volunteer-2026",
            "confirm": "volunteer-2026",
            "organization_id": "0",
            "consent": "y",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12345"}, "valid mainland mobile number"),
        ({"phone": "23800138000"}, "valid mainland mobile number"),
        ({"phone": ""}, "Please enter your mobile number"),
        ({"password": "short1", "confirm": "short1"}, "at least 8 characters"),
        ({"password": "onlyletters", "confirm": "onlyletters"}, "both letters and digits"),
        ({"password": "12345678", "confirm": "12345678"}, "both letters and digits"),
        ({"password": "password1", "confirm": "password1"}, "too easy to guess"),
        ({"password": "a13800138000", "confirm": "a13800138000"}, "must not contain your phone"),
        ({"confirm": "something-else-1"}, "do not match"),
        ({"consent": None}, "agree to the privacy notice"),
        ({"name": ""}, "Please enter your name"),
    ],
)
def test_bad_registration_says_why_keeps_input_and_creates_nothing(client, app, overrides, message):
    before = count_users(app)
    response = register(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert count_users(app) == before
    if "name" not in overrides:
        assert 'value="王小明"' in page  # what the user typed is kept


def test_duplicate_phone_is_refused(client, app, make):
    make.user(phone="13800138000", username=None)
    before = count_users(app)
    response = register(client)
    assert "already registered" in response.get_data(as_text=True)
    assert count_users(app) == before


def test_bad_registration_message_is_in_chinese_by_default(client, app):
    response = register(client, lang="zh_Hans_CN", phone="12345")
    assert "请输入有效的手机号" in response.get_data(as_text=True)
