"""Every form found on the argument-free pages of the URL map, submitted with hostile values: never a 5xx, and a
refused submission (a 4xx, or the form shown again with an error) changes nothing.

The forms are read from the pages as the county administrator and as a child director see them (a small world:
a town, a village with a child, an activity). Each field in turn gets each hostile value while the others keep the
values the page filled in. A fixed list of values keeps the run bounded (well under a minute per database).
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR_RE = re.compile(r'([\w-]+)="([^"]*)"')
FIELD_RE = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
OPTION_RE = re.compile(r'<option\b[^>]*value="([^"]*)"', re.I)
HOSTILE = [
    "",
    "x" * 10_000,
    "a\x00b",
    "\x01\x1b",
    "😀🧒" * 20,
    "abc",
    "99999999999999999999999",
    "-1",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
]
# Tables a refused submission may still write: the audit log, sessions and the login throttle.
BOOKKEEPING = ("audit", "session", "throttle", "login")
SKIPPED_ACTIONS = ("/logout",)
ERROR_MARKS = ('role="alert"', "has-error", "flash-error")


def _forms(page: str, path: str) -> list[tuple[str, dict[str, str], list[str]]]:
    """(action, default values, names to mutate) of every POST form on a page."""
    forms = []
    for attributes, body in FORM_RE.findall(page):
        attrs = dict(ATTR_RE.findall(attributes))
        if attrs.get("method", "get").lower() != "post":
            continue
        action = html.unescape(attrs.get("action") or path)
        if any(skipped in action for skipped in SKIPPED_ACTIONS) or attrs.get("enctype") == "multipart/form-data":
            continue
        values, names = {}, []
        for tag, field_attributes in FIELD_RE.findall(body):
            field = dict(ATTR_RE.findall(field_attributes))
            name = field.get("name")
            kind = field.get("type", "text").lower()
            if not name or kind in ("submit", "button", "file"):
                continue
            if tag.lower() == "select":
                options = OPTION_RE.findall(body[body.find(f'name="{name}"') :])
                values.setdefault(name, options[0] if options else "")
            elif kind in ("checkbox", "radio"):
                if "checked" in field_attributes:
                    values.setdefault(name, html.unescape(field.get("value", "y")))
            else:
                values.setdefault(name, html.unescape(field.get("value", "")))
            if not name.endswith("csrf_token") and name not in names:
                names.append(name)
        forms.append((action, values, names))
    return forms


def _counts(app) -> tuple:
    with app.app_context():
        tables = [t for name, t in sorted(db.metadata.tables.items()) if not any(b in name for b in BOOKKEEPING)]
        return tuple(
            db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
        )


def _refused(response, body: str) -> bool:
    return response.status_code >= 400 or any(mark in body for mark in ERROR_MARKS)


def _world(make) -> dict:
    village = make.village("shuangshipu")
    make.child(village.id, name="王小明")
    make.activity("youth-league", town="shuangshipu", days_ahead=3)
    return {"admin": make.admin(), "director": make.user(Role.CHILD_DIRECTOR, villages=[village.id])}


@pytest.mark.parametrize("role", ["admin", "director"])
def test_hostile_form_values_never_answer_a_server_error_and_refusals_change_nothing(app, make, auth, role):
    auth.login(_world(make)[role].login_name)
    paths = sorted(
        {
            r.rule
            for r in app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and r.endpoint != "static" and "logout" not in r.rule
        }
    )
    failures, submitted = [], 0
    for path in paths:
        page = auth.client.get(path)
        if page.status_code != 200 or not page.mimetype.startswith("text/html"):
            continue
        for action, values, names in _forms(page.get_data(as_text=True), path):
            for name in names:
                for value in HOSTILE:
                    before = _counts(app)
                    response = auth.client.post(action, data={**values, name: value})
                    submitted += 1
                    body = response.get_data(as_text=True)
                    if response.status_code >= 500:
                        failures.append((action, name, value[:20], response.status_code))
                    elif _refused(response, body) and _counts(app) != before:
                        failures.append((action, name, value[:20], "refused but changed the database"))
    assert submitted > 100
    assert failures == []


def test_a_nul_in_a_form_field_is_refused_with_a_message_and_saves_nothing(app, make, auth):
    auth.login(_world(make)["admin"].login_name)
    before = _counts(app)
    response = auth.post("/directory/organizations/new?lang=en", {"name_zh": "团\x00县委"})
    assert response.status_code == 400
    assert "invalid control characters" in response.get_data(as_text=True)
    assert _counts(app) == before


def test_a_textarea_keeps_tabs_and_line_breaks(app, make, auth):
    from app.forms import CONTROL_CHARACTERS

    assert CONTROL_CHARACTERS.search("第一行\r\n\t第二行") is None
    assert CONTROL_CHARACTERS.search("a\x00") and CONTROL_CHARACTERS.search("\x7f")


@pytest.mark.parametrize("shift_id", ["abc", "99999999999999999999999", "-3"])
def test_a_bad_hidden_shift_id_is_refused_with_a_message_and_saves_nothing(app, make, auth, shift_id):
    from tests.test_activities_pages import activity_form, future_day, org_id

    auth.login(make.admin().login_name)
    before = _counts(app)
    data = activity_form(future_day(), organization_id=org_id(app, "youth-league"), **{"shifts-0-shift_id": shift_id})
    response = auth.post("/manage/activities/new?lang=en", data)
    assert response.status_code == 422
    assert "This form refers to a record that does not exist." in response.get_data(as_text=True)
    assert _counts(app) == before


# Fields the service rewrites to the column's fixed shape before saving: the ID number (spaces and dashes dropped by
# ``normalise_id_number``, which refuses anything that is not 18 characters then).
NORMALISED = {("ChildForm", "id_number")}


def _form_classes():
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import app as package

    for module in pkgutil.walk_packages(package.__path__, "app."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "public"):
            importlib.import_module(module.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted(set(below(FlaskForm)), key=lambda cls: cls.__qualname__)


def test_no_form_accepts_more_characters_than_the_column_it_fills(app):
    """Each form fills the table holding most of its field names; a text field there needs a Length(max) no larger
    than its String(n) column, unless a validator rewrites it to a fixed shape (a phone number, an ID number)."""
    from sqlalchemy import String
    from wtforms import StringField
    from wtforms.fields.core import UnboundField
    from wtforms.validators import Length

    from app.forms import MobilePhone

    tables = list(db.metadata.tables.values())
    too_long, checked = [], 0
    for form in _form_classes():
        fields = {n: getattr(form, n) for n in dir(form) if isinstance(getattr(form, n, None), UnboundField)}
        table = max(tables, key=lambda t: len(set(fields) & set(t.columns.keys())))
        for name, unbound in fields.items():
            column = table.columns.get(name)
            if column is None or not issubclass(unbound.field_class, StringField):
                continue
            if not isinstance(column.type, String) or not column.type.length:
                continue
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
            if (form.__name__, name) in NORMALISED or any(isinstance(v, MobilePhone) for v in validators):
                continue
            limits = [v.max for v in validators if isinstance(v, Length) and v.max >= 0]
            checked += 1
            if not limits or min(limits) > column.type.length:
                too_long.append((form.__name__, name, limits, column.type.length))
    assert checked > 20
    assert too_long == []
