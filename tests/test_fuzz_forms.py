"""Every form found on the pages of the URL map, submitted with hostile values: never a 5xx, and a refused
submission (a 4xx, an error flashed, or the form shown again with an error) changes nothing.

The argument-free pages are read as a visitor, the county administrator and a child director see them; the pages
whose URLs take ids (an activity, a shift, a child, a pairing, a proposal, an organization, a village, a town ...)
with the real ids of the small world of tests/world.py, as every role that may open them. Each field in turn gets each
hostile value while the others keep the values the page filled in (with valid defaults for required fields left
empty: tests/fuzz.py). A fixed list of values keeps each test bounded (well under a minute per database).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.activities.models import Shift
from app.auth.models import Role, User
from app.childcare.entry_routes import ENTRY_FORMS
from app.childcare.services import today
from app.db_types import utcnow
from app.extensions import db
from tests.conftest import Auth
from tests.fuzz import Fuzzer, counts
from tests.world import build_world, inside_url, routes

FILE_RULE = re.compile(r"\.(<fmt>|ics|png|csv|xlsx)$")  # downloads, not pages
# Forms refused as filled on purpose: the login (logging in would change who submits the next form); its fields still
# pass the form's own checks and reach the handler, which refuses the unknown account. And the forms that ask for an
# SMS code: no fuzz can know the code, so the code check refuses them after every other field has passed.
REFUSED_AS_FILLED = {"/login", "/login/code", "/password/reset"}
REFUSED_AS_FILLED_PATTERN = re.compile(r"^/a/[^/]+/join$")
ROLES = ["anonymous", "admin", "coordinator", "supervisor", "director", "volunteer"]


def _world(make) -> dict:
    village = make.village("shuangshipu")
    make.child(village.id, name="王小明")
    make.activity("youth-league", town="shuangshipu", days_ahead=3)
    return {"admin": make.admin(), "director": make.user(Role.CHILD_DIRECTOR, villages=[village.id])}


@pytest.mark.parametrize("role", ["anonymous", "admin", "director"])
def test_hostile_form_values_never_answer_a_server_error_and_refusals_change_nothing(app, make, auth, role):
    users = _world(make)
    if role != "anonymous":
        auth.login(users[role].login_name)
    paths = sorted(
        {
            r.rule
            for r in app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and r.endpoint != "static" and "logout" not in r.rule
        }
    )
    with Fuzzer(app) as fuzzer:
        for path in paths:
            fuzzer.fuzz_page(auth.client, path)
    if role != "anonymous":
        assert auth.client.get("/account").status_code == 200, "logged out by the fuzz"
    assert fuzzer.submitted > (20 if role == "anonymous" else 100)
    assert fuzzer.failures == []
    _assert_reached(fuzzer)


def _assert_reached(fuzzer: Fuzzer) -> None:
    """The hostile values reached the handlers: every form was accepted as the page filled it (with the defaults), so
    a refusal of a hostile value is that value's doing."""
    refused = [
        entry
        for entry in fuzzer.baseline_refused
        if entry[0] not in REFUSED_AS_FILLED and not REFUSED_AS_FILLED_PATTERN.match(entry[0])
    ]
    assert refused == [], refused


def _id_endpoints() -> list[str]:
    from app import create_app
    from tests.conftest import make_test_config

    app = create_app(make_test_config("sqlite://"))
    return sorted(
        endpoint
        for endpoint, rule in routes(app)
        if "GET" in rule.methods and rule.arguments and not FILE_RULE.search(rule.rule)
    )


def _fuzz_world(app, make, endpoint: str):
    """The world of tests/world.py, its volunteer screened as a mentor of organization X (so the pairing forms show);
    for the check-in page, the shift under way (check-in is open only then)."""
    world = build_world(app, make)
    with app.app_context():
        volunteer = db.session.get(User, world.users["volunteer"].id)
        volunteer.organization_id = world.ids["org_in"]
        volunteer.screened_until = today() + timedelta(days=365)
        if endpoint == "activities.checkin":
            shift = db.session.get(Shift, world.ids["shift_in"])
            shift.starts_at, shift.ends_at = utcnow() - timedelta(minutes=30), utcnow() + timedelta(hours=2)
        db.session.commit()
    return world


@pytest.mark.parametrize("endpoint", _id_endpoints())
def test_hostile_form_values_on_pages_with_ids(app, make, endpoint):
    """Each page whose URL takes ids, opened on a record inside the role's scope by every role that may: each of its
    forms fuzzed once (the same form seen by two roles is not submitted twice)."""
    world = _fuzz_world(app, make, endpoint)
    rule = next(rule for name, rule in routes(app) if name == endpoint)
    opened = 0
    with Fuzzer(app) as fuzzer:
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                assert Auth(client).login(world.users[role].login_name).status_code == 302
            url = inside_url(app, endpoint, rule, world, role)
            if url is None:
                continue
            urls = [url]
            if endpoint == "children.add_entry":  # every kind of entry, not only the role's usual one
                urls = [url.rsplit("/", 1)[0] + f"/{kind}" for kind in ENTRY_FORMS]
            for each in urls:
                opened += fuzzer.fuzz_page(client, each) is not None
            if role != "anonymous":
                assert client.get("/account").status_code == 200, f"{role} was logged out by the fuzz"
    assert opened, f"no role could open {endpoint} in the world"
    assert fuzzer.failures == []
    _assert_reached(fuzzer)


def test_a_nul_in_a_form_field_is_refused_with_a_message_and_saves_nothing(app, make, auth):
    auth.login(_world(make)["admin"].login_name)
    before = counts(app)
    response = auth.post("/directory/organizations/new?lang=en", {"name_zh": "团\x00县委"})
    assert response.status_code == 400
    assert "invalid control characters" in response.get_data(as_text=True)
    assert counts(app) == before


def test_a_textarea_keeps_tabs_and_line_breaks(app, make, auth):
    from app.text import CONTROL_CHARACTERS

    assert CONTROL_CHARACTERS.search("第一行\r\n\t第二行") is None
    assert CONTROL_CHARACTERS.search("a\x00") and CONTROL_CHARACTERS.search("\x7f")


@pytest.mark.parametrize("shift_id", ["abc", "99999999999999999999999", "-3"])
def test_a_bad_hidden_shift_id_is_refused_with_a_message_and_saves_nothing(app, make, auth, shift_id):
    from tests.test_activities_pages import activity_form, future_day, org_id

    auth.login(make.admin().login_name)
    before = counts(app)
    data = activity_form(future_day(), organization_id=org_id(app, "youth-league"), **{"shifts-0-shift_id": shift_id})
    response = auth.post("/manage/activities/new?lang=en", data)
    assert response.status_code == 422
    assert "This form refers to a record that does not exist." in response.get_data(as_text=True)
    assert counts(app) == before


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
