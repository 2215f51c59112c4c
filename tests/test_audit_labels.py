"""The audit log speaks the reader's language: every action the code records has a translated name."""

from __future__ import annotations

import re
from pathlib import Path

from app.audit.labels import ACTION_LABELS
from app.auth.models import Role
from tests.conftest import Auth

APP = Path(__file__).resolve().parents[1] / "app"


def recorded_actions() -> set[str]:
    """Every action code written in a ``record(...)`` call, the two of a conditional and the kind of an f-string."""
    codes = set()
    for path in APP.rglob("*.py"):
        for call in re.finditer(r"\brecord\(\s*([^,)]+)", path.read_text(encoding="utf-8")):
            codes.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call.group(1)))
            for kind in re.findall(r'f"\{kind\}\.\{\'(\w+)\' if active else \'(\w+)\'\}"', call.group(1)):
                codes.update(f"{noun}.{verb}" for noun in ("village", "organization") for verb in kind)
    return codes


def test_every_recorded_action_has_a_label():
    codes = recorded_actions()
    assert len(codes) > 60 and "child.viewed" in codes and "account.second_step_off" in codes
    assert codes - set(ACTION_LABELS) == set()


def test_the_audit_log_shows_translated_event_names_with_the_code_for_admins(app, make):
    admin = make.user(Role.ADMIN)
    auth = Auth(app.test_client())
    auth.login(admin.username)
    text = auth.client.get("/admin/audit/").get_data(as_text=True)
    assert "登录<br><code" in text and "auth.login</code>" in text
    english = auth.client.get("/admin/audit/?lang=en").get_data(as_text=True)
    assert "Signed in" in english and ">Signed in</option>" in english
