"""Chinese first, English on request, the user's choice remembered, and a complete catalogue."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.formatting import datetime_filter
from tests.conftest import Auth

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_site_opens_in_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "守护" in page
    assert "登录" in page


def test_lang_parameter_switches_to_english_and_sticks_for_the_browser(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    assert 'lang="en"' in client.get("/privacy").get_data(as_text=True)
    assert 'lang="zh-CN"' in client.get("/privacy?lang=zh_Hans_CN").get_data(as_text=True)


def test_every_page_has_a_language_switch_keeping_the_query(client):
    page = client.get("/login?next=/account").get_data(as_text=True)
    assert 'href="/login?next=%2Faccount&amp;lang=en"' in page


def test_logged_in_users_choice_is_remembered_on_the_account(app, make):
    user = make.user(username="linguist")
    phone = Auth(app.test_client())
    phone.login("linguist")
    phone.client.get("/?lang=en")
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"
    desk = Auth(app.test_client())
    desk.login("linguist")
    assert 'lang="en"' in desk.client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_chinese(client):
    assert 'lang="zh-CN"' in client.get("/?lang=xx").get_data(as_text=True)


def test_times_are_shown_in_asia_shanghai(app):
    with app.test_request_context("/?lang=en"):
        shown = datetime_filter(datetime(2026, 7, 1, 16, 30, tzinfo=UTC), "yyyy-MM-dd HH:mm")
    assert shown == "2026-07-02 00:30"


def test_numbers_are_formatted_per_locale(app):
    from app.formatting import number_filter

    with app.test_request_context("/?lang=en"):
        assert number_filter(12345) == "12,345"


def load(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_zh_catalogue_is_complete_and_not_fuzzy():
    catalogue = load(CATALOGUE)
    missing = [m.id for m in catalogue if m.id and (not all(_forms(m.string)) or m.fuzzy)]
    assert missing == []
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalogue:
        if message.id:
            wanted = sorted(placeholder.findall(_forms(message.id)[-1]))  # the plural names them all
            for form in _forms(message.string):
                assert sorted(placeholder.findall(form)) == wanted, message.id


def _forms(text) -> tuple[str, ...]:
    """A message's forms: one string, or the singular and plurals of an ngettext message."""
    return text if isinstance(text, tuple) else (text,)


def test_catalogue_holds_every_marked_string_in_the_code(tmp_path):
    """Extract afresh: a string marked in code or templates but absent from the catalogue fails here."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    fresh = {m.id for m in load(pot) if m.id}
    assert len(fresh) > 200, "extraction found almost nothing: check babel.cfg"
    translated = {m.id for m in load(CATALOGUE) if m.id and m.string}
    assert sorted(fresh - translated) == []


def test_templates_do_not_leave_english_words_untranslated(client):
    page = client.get("/register").get_data(as_text=True)
    for english in ("Register as a volunteer", "Mobile number", "Password", "Privacy notice"):
        assert english not in page
