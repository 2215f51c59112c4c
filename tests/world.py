"""A small world for the tests that walk the URL map: two of everything, one inside each role's scope (town A,
organization X, volunteer 1) and one outside, and the values that fill each route's URL arguments from it.

Used by the access rules (tests/test_access_rules.py), the security headers and the fuzz tests, so that a new route
argument needs one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask import url_for

from app.auth.models import Role, User
from app.extensions import db
from app.permissions import SCOPES, access_rule
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


def build_world(app, make) -> World:
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
        from app.activities.models import Signup
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
    # Coordinators mark attendance at their own organization's activities; directors register their children for
    # any activity; nobody else reaches the page.
    # A large upload's page: its uploader's alone, the administrator's too.
    "own_import": {"admin": ("import_admin", "import_in"), "director": ("import_in", "import_out")},
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


def url_arguments(app, endpoint: str, rule, world: World, scope_key: str | None, role: str) -> dict:
    """Values for a rule's URL arguments from the world: the scope's record ``scope_key`` where the rule declares a
    scope, otherwise the record each argument names (``ARGUMENT_KEYS``); a file's entry kind by role."""
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
            pytest.fail(f"{endpoint}: no test target for URL argument {argument!r}; add one to tests/world.py")
    rule_scope = access_rule(app.view_functions[endpoint]).scope
    if rule_scope and scope_key:
        values[SCOPES[rule_scope].arg] = world.ids[scope_key]
        for argument, keys in SCOPE_ARGUMENT_KEYS.items():
            if argument in values and scope_key in keys:
                values[argument] = world.ids[keys[scope_key]]
    return values


def routes(app) -> list[tuple[str, object]]:
    """(endpoint, rule) of every route but Flask's static files, by URL."""
    return sorted(
        ((rule.endpoint, rule) for rule in app.url_map.iter_rules() if rule.endpoint not in UNDECLARED_OK),
        key=lambda item: item[1].rule,
    )


def inside_url(app, endpoint: str, rule, world: World, role: str) -> str | None:
    """The URL of ``endpoint`` on a record inside ``role``'s scope; None when the role has no such record."""
    scope = access_rule(app.view_functions[endpoint]).scope
    key = None
    if scope:
        key = SCOPE_TARGETS[scope].get(role, (None, None))[0]
        if key is None:
            return None
    with app.test_request_context():
        return url_for(endpoint, **url_arguments(app, endpoint, rule, world, key, role))
