"""One's own account page: name and language through one audited service; logging out."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import User, UserSession
from app.extensions import db
from tests.conftest import Auth


def _login(app, make, **values) -> tuple[Auth, User]:
    user = make.user(**values)
    auth = Auth(app.test_client())
    assert auth.login(user.username).status_code == 302
    return auth, user


def _entries(app, user_id: int, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.object_type == "users", AuditEntry.object_id == user_id
                )
            )
        )
        db.session.expunge_all()
        return rows


def test_profile_edit_saves_and_audits_the_changed_fields_only(app, make):
    auth, user = _login(app, make, name="旧名字", locale="zh_Hans_CN")
    response = auth.post("/account", {"name": "  新名字 ", "locale": "en"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(User, user.id)
        assert (row.name, row.locale) == ("新名字", "en")
    (entry,) = _entries(app, user.id, "account.profile_updated")
    assert entry.actor_id == user.id and entry.detail == {"fields": ["name", "locale"]}
    assert "旧名字" not in str(entry.detail) and "新名字" not in str(entry.detail)  # no names kept in the log
    assert "您的信息已保存" in auth.client.get("/account").get_data(as_text=True)  # in the old language
    auth.post("/account", {"name": "新名字", "locale": "en"})  # nothing changed: nothing to audit
    assert len(_entries(app, user.id, "account.profile_updated")) == 1


def test_profile_edit_with_bad_input_changes_nothing(app, make):
    auth, user = _login(app, make, name="原名", locale="en")
    response = auth.post("/account", {"name": "   ", "locale": "zh_Hans_CN"})
    assert response.status_code == 422
    assert "Please enter your name." in response.get_data(as_text=True)
    response = auth.post("/account", {"name": "新名", "locale": "klingon"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(User, user.id)
        assert (row.name, row.locale) == ("原名", "en")
    assert _entries(app, user.id, "account.profile_updated") == []


def test_logout_revokes_the_session_row_and_is_audited(app, make):
    auth, user = _login(app, make)
    response = auth.logout()
    assert response.status_code == 302
    with app.app_context():
        sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
        assert sessions and all(s.revoked_at is not None for s in sessions)
    assert len(_entries(app, user.id, "auth.logout")) == 1
    assert auth.client.get("/account").status_code == 302
