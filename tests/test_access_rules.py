"""Every route of the URL map, requested as every role, against a record inside and one outside the role's scope.

Each route declares its rule once (``app/permissions.py``: public, logged_in, scoped, permission_required with a
scope). This suite reads the declarations from the URL map, so a new route is covered the day it is added, and a
route without a declaration fails. The expectations come from the world built here — which child lives in whose
village, which activity belongs to whose organization — not from the code's own scope checks. Every response is
also searched for the children's full names and whole ID numbers, which only the right people may see.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from app.permissions import SCOPES, access_rule, can
from tests.conftest import CSRF_RE, Auth
from tests.factories import valid_id_number

# Flask's own static route serves files anyone may fetch; everything else must declare its rule.
UNDECLARED_OK = {"static"}
ROLES = ["anonymous", "admin", "coordinator", "supervisor", "director", "volunteer"]
# Chosen so that neither a masked form (司*青) nor a mentor's given name (马青 / 官红) contains the full name.
NAME_IN, NAME_OUT = "司马青", "上官红"
ID_IN, ID_OUT = valid_id_number("20150612", "101"), valid_id_number("20140301", "202")


@dataclass
class World:
    """Two of everything: one inside each role's scope (town A, organization X, volunteer 1), one outside."""

    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)


def _build_world(app, make) -> World:
    from app.activities.checkin import make_token
    from app.activities.models import ActivityKind, Signup, SignupStatus
    from app.childcare.models import Problem
    from app.db_types import utcnow
    from app.mentoring.models import ConsentMethod, Pairing, PairingKind

    world = World()
    town_a, town_b = make.town("shuangshipu"), make.town("fengzhou")
    village_a, village_b = make.village("shuangshipu"), make.village("fengzhou")
    org_x = make.organization("youth-league")
    org_y = make.organization("women-federation")
    users = {
        "admin": make.admin(name="县管理员"),
        "coordinator": make.user(Role.COORDINATOR, organization="youth-league", name="团县委协调员"),
        "supervisor": make.user(Role.TOWN_SUPERVISOR, town="shuangshipu", name="双石铺督导员"),
        "director": make.user(Role.CHILD_DIRECTOR, villages=[village_a.id], name="甲村儿童主任"),
        "volunteer": make.user(Role.VOLUNTEER, phone="13800000001", name="志愿者甲"),
    }
    volunteer_b = make.user(Role.VOLUNTEER, phone="13800000002", name="志愿者乙")
    director_b = make.user(Role.CHILD_DIRECTOR, villages=[village_b.id], name="乙村儿童主任")
    child_a = make.child(village_a.id, name=NAME_IN, birth=date(2015, 6, 12), id_number=ID_IN)
    child_b = make.child(village_b.id, name=NAME_OUT, birth=date(2014, 3, 1), id_number=ID_OUT)
    # A training, so that its participants page exists too.
    activity_x = make.activity("youth-league", town="shuangshipu", days_ahead=3, kind=ActivityKind.DIRECTOR_TRAINING)
    activity_y = make.activity("women-federation", town="fengzhou", days_ahead=3)
    with app.app_context():
        db.session.get(type(child_a), child_a.id).director_id = users["director"].id
        db.session.get(type(child_b), child_b.id).director_id = director_b.id
        signups = {}
        for name, user_id, activity in (
            ("signup_in", users["volunteer"].id, activity_x),
            ("signup_out", volunteer_b.id, activity_y),
        ):
            signup = Signup(
                shift_id=activity.shifts[0].id, user_id=user_id, status=SignupStatus.CONFIRMED, queued_at=utcnow()
            )
            db.session.add(signup)
            signups[name] = signup
        pairings = {}
        for name, child_id, mentor_id, organization in (
            ("pairing_in", child_a.id, users["volunteer"].id, org_x),
            ("pairing_out", child_b.id, volunteer_b.id, org_y),
        ):
            pairing = Pairing(
                child_id=child_id,
                mentor_id=mentor_id,
                organization_id=organization.id,
                kind=PairingKind.ACADEMIC,
                started_on=date.today() - timedelta(days=30),
                consent_by="祖母",
                consent_on=date.today() - timedelta(days=30),
                consent_method=ConsentMethod.WRITTEN,
                created_by_id=users["admin"].id,
            )
            db.session.add(pairing)
            pairings[name] = pairing
        from app.mentoring.models import PairingProposal

        for name, child_id, proposer, organization in (
            ("proposal_in", child_a.id, users["director"].id, org_x),
            ("proposal_out", child_b.id, director_b.id, org_y),
        ):
            pairings[name] = PairingProposal(
                child_id=child_id, organization_id=organization.id, kind=PairingKind.ACADEMIC, proposed_by_id=proposer
            )
            db.session.add(pairings[name])
        problems = {}
        for name, child_id in (("problem_in", child_a.id), ("problem_out", child_b.id)):
            problem = Problem(
                child_id=child_id, found_on=date.today(), description="需要跟进", author_id=users["admin"].id
            )
            db.session.add(problem)
            problems[name] = problem
        for key, user in users.items():  # everyone has a calendar address (the QR page needs one)
            db.session.get(User, user.id).calendar_token = f"calendar-token-of-{key}-0123456789abcdef"
        volunteer = db.session.get(User, users["volunteer"].id)
        from app.activities.models import Certificate

        certificate = Certificate(
            serial="SH-2026-999999", token="certificate-token-of-volunteer-0123456789ab", user_id=volunteer.id
        )
        db.session.add(certificate)
        from app.notifications.models import Delivery, DeliveryStatus, Message

        message = Message(kind="delivery_failed", recipient_id=volunteer.id, params={})
        message.deliveries.append(
            Delivery(channel="sms", address=volunteer.phone, status=DeliveryStatus.FAILED, last_error="test")
        )
        db.session.add(message)
        from app.childcare.models import ChildImport

        uploads = {}
        for name, uploader in (
            ("import_admin", users["admin"]),
            ("import_in", users["director"]),
            ("import_out", director_b),
        ):
            uploads[name] = f"upload-token-{name}-0123456789abcdef"
            db.session.add(
                ChildImport(token=uploads[name], user_id=uploader.id, content=b"", status="queued", total=600)
            )
        db.session.flush()
        from app.activities.models import Shift

        shift_x = db.session.get(Shift, activity_x.shifts[0].id)
        from app.notifications.links import COME, answer_path

        answer_token = answer_path(db.session.get(Signup, signups["signup_in"].id), COME).removeprefix("/r/")
        world.ids.update(
            answer_token=answer_token,
            town_in=town_a.code,
            town_out=town_b.code,
            village_in=village_a.id,
            village_out=village_b.id,
            org_in=org_x.id,
            org_out=org_y.id,
            org_code=org_x.code,
            child_in=child_a.id,
            child_out=child_b.id,
            activity_in=activity_x.id,
            activity_out=activity_y.id,
            activity_code=activity_x.code,
            shift_in=activity_x.shifts[0].id,
            shift_out=activity_y.shifts[0].id,
            shift_token=make_token(shift_x),
            user_other=volunteer_b.id,
            calendar_token=volunteer.calendar_token,
            certificate_token=certificate.token,
            delivery_in=message.deliveries[0].id,
            **uploads,
            **{name: row.id for name, row in {**signups, **pairings, **problems}.items()},
        )
        db.session.commit()
    world.users = users
    return world


# For a scope, per role: the world's (inside, outside) record key; None where the role has no such record.
SCOPE_TARGETS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "child": {
        "admin": ("child_in", None),
        "supervisor": ("child_in", "child_out"),
        "director": ("child_in", "child_out"),
    },
    "managed_activity": {"admin": ("activity_in", None), "coordinator": ("activity_in", "activity_out")},
    "managed_shift": {"admin": ("shift_in", None), "coordinator": ("shift_in", "shift_out")},
    "managed_signup": {"admin": ("signup_in", None), "coordinator": ("signup_in", "signup_out")},
    "managed_pairing": {"admin": ("pairing_in", None), "coordinator": ("pairing_in", "pairing_out")},
    "proposal": {"admin": ("proposal_in", None), "coordinator": ("proposal_in", "proposal_out")},
    "proposal_child": {"admin": ("proposal_in", None), "director": ("proposal_in", "proposal_out")},
    "own_signup": {role: ("signup_in", "signup_out") if role == "volunteer" else (None, "signup_in") for role in ROLES},
    "own_pairing": {
        role: ("pairing_in", "pairing_out") if role == "volunteer" else (None, "pairing_in") for role in ROLES
    },
    "department": {
        "admin": ("org_in", None),
        "coordinator": ("org_in", "org_out"),
        "supervisor": (None, "org_in"),
        "director": (None, "org_in"),
        "volunteer": (None, "org_in"),
    },
    "town_report": {
        "admin": ("town_in", None),
        "supervisor": ("town_in", "town_out"),
        "coordinator": (None, "town_in"),
        "director": (None, "town_in"),
        "volunteer": (None, "town_in"),
    },
    # A large upload's page: its uploader's alone, the administrator's too.
    "own_import": {"admin": ("import_admin", "import_in"), "director": ("import_in", "import_out")},
    # Coordinators mark attendance at their own organization's activities; directors register their children for
    # any activity; nobody else reaches the page.
    "activity_children": {
        "admin": ("activity_in", None),
        "coordinator": ("activity_in", "activity_out"),
        "director": ("activity_in", None),
        "supervisor": (None, "activity_in"),
        "volunteer": (None, "activity_in"),
    },
}

# Which world record each URL argument takes when the scope does not decide it.
ARGUMENT_KEYS = {
    "child_id": "child_in",
    "activity_id": "activity_in",
    "shift_id": "shift_in",
    "signup_id": "signup_in",
    "pairing_id": "pairing_in",
    "proposal_id": "proposal_in",
    "organization_id": "org_in",
    "village_id": "village_in",
    "problem_id": "problem_in",
    "user_id": "user_other",
    "town_code": "town_in",
    "delivery_id": "delivery_in",
}
# Arguments that are not records. A file's entry: a visit for its director, the check for the county or its town.
PLAIN_ARGUMENTS = {"action": "cancel", "year": date.today().year}
ENTRY_KINDS = {"admin": "check", "supervisor": "check"}
FORMATS = {"activities.qr": "png", "manage.checkin_qr": "png"}
SCOPE_ARGUMENT_KEYS = {"problem_id": {"child_in": "problem_in", "child_out": "problem_out"}}


def _arguments(endpoint: str, rule, world: World, scope_key: str | None, role: str) -> dict:
    values = {}
    for argument in rule.arguments:
        if argument == "kind":
            values[argument] = ENTRY_KINDS.get(role, "visit")
        elif argument == "code":
            values[argument] = {
                "activities.organization_feed": world.ids["org_code"],
                "activities.town_feed": world.ids["town_in"],
            }.get(endpoint, world.ids["activity_code"])
        elif argument == "token":
            values[argument] = world.ids[
                {
                    "activities.personal_feed": "calendar_token",
                    "activities.certificate_check": "certificate_token",
                    "messages.answer": "answer_token",  # a reminder's one-tap "I'll come"
                }.get(endpoint, "shift_token")
            ]
        elif argument == "fmt":
            values[argument] = FORMATS.get(endpoint, "csv")
        elif argument in PLAIN_ARGUMENTS:
            values[argument] = PLAIN_ARGUMENTS[argument]
        elif argument in ARGUMENT_KEYS:
            values[argument] = world.ids[ARGUMENT_KEYS[argument]]
        else:
            pytest.fail(f"{endpoint}: no test target for URL argument {argument!r}; add one to test_access_rules.py")
    rule_scope = access_rule_of(endpoint).scope
    if rule_scope and scope_key:
        values[SCOPES[rule_scope].arg] = world.ids[scope_key]
        for argument, keys in SCOPE_ARGUMENT_KEYS.items():
            if argument in values and scope_key in keys:
                values[argument] = world.ids[keys[scope_key]]
    return values


_APP = {}


def access_rule_of(endpoint: str):
    return access_rule(_APP["app"].view_functions[endpoint])


def _routes(app) -> list[tuple[str, object]]:
    return sorted(
        ((rule.endpoint, rule) for rule in app.url_map.iter_rules() if rule.endpoint not in UNDECLARED_OK),
        key=lambda item: item[1].rule,
    )


def _endpoints() -> list[str]:
    from app import create_app
    from tests.conftest import make_test_config

    app = create_app(make_test_config("sqlite://"))
    return sorted({endpoint for endpoint, _rule in _routes(app)})


def test_every_route_declares_who_may_use_it(app):
    missing = [endpoint for endpoint, _rule in _routes(app) if access_rule(app.view_functions[endpoint]) is None]
    assert missing == [], f"routes without a declared access rule: {missing}"


def test_every_declared_scope_exists_and_names_an_argument_of_its_route(app):
    for endpoint, rule in _routes(app):
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
    _APP["app"] = app
    world = _build_world(app, make)
    rule = next(rule for name, rule in _routes(app) if name == endpoint)
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
            url_values = _arguments(endpoint, rule, world, key, role)
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
    world = _build_world(app, make)
    client = app.test_client()
    Auth(client).login(world.users["admin"].login_name)
    page = client.get(f"/children/{world.ids['child_in']}").get_data(as_text=True)
    assert NAME_IN in page and ID_IN in page
    with pytest.raises(AssertionError):
        _check_privacy(page, "coordinator", "an administrator's page shown to a coordinator")
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.id == world.users["director"].id))
