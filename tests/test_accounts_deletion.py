"""Deleting a volunteer's account: one transaction (sign-ups cancelled and waitlists moved up, pairings ended,
the account anonymised), all or nothing; and a deleted account's name in the reader's language."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.activities.models import Signup, SignupStatus
from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.childcare.services import today
from app.directory.reference import load_reference_data
from app.extensions import db
from app.mentoring.models import ConsentMethod, Pairing, PairingEndCause, PairingKind, PairingStatus
from tests.conftest import DATABASES, Auth, app_on_own_database
from tests.factories import Factory

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer

PHONE = "13722223333"


def _login(app, user) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(user.login_name).status_code == 302
    return auth


def _pairing(app, make, mentor: User, organization: str = "womens-federation") -> int:
    village = make.village("fengzhou")
    child = make.child(village.id, name="赵小雨")
    admin = make.admin()
    with app.app_context():
        from app.directory.models import Organization

        org = db.session.scalar(select(Organization).where(Organization.code == organization))
        pairing = Pairing(
            child_id=child.id,
            mentor_id=mentor.id,
            organization_id=org.id,
            kind=PairingKind.CARING_MOTHER,
            started_on=date.today() - timedelta(days=60),
            consent_by="赵奶奶",
            consent_on=date.today() - timedelta(days=60),
            consent_method=ConsentMethod.IN_PERSON,
            created_by_id=admin.id,
        )
        db.session.add(pairing)
        db.session.commit()
        return pairing.id


def _world(app, make):
    """A volunteer with three upcoming confirmed sign-ups (one shift full, with someone on its waitlist), one
    served in the past, and an active pairing as a mentor."""
    leaving = make.user(Role.VOLUNTEER, name="将离开", phone=PHONE, username=None)
    waiter = make.user(Role.VOLUNTEER, name="候补者")
    full = make.activity(shifts=[(9, 12, 1)], days_ahead=10)
    others = [make.activity(shifts=[(9, 12, 5)], days_ahead=days) for days in (11, 12)]
    past = make.activity(shifts=[(9, 12, 5)], days_ahead=3)
    auth = _login(app, leaving)
    for activity in (full, *others, past):
        auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    _login(app, waiter).post(f"/a/{full.code}/signup", {"shift_id": full.shifts[0].id})
    with app.app_context():  # the last one was served a month ago
        served = db.session.scalar(
            select(Signup).where(Signup.user_id == leaving.id, Signup.shift_id == past.shifts[0].id)
        )
        served.shift.starts_at -= timedelta(days=33)
        served.shift.ends_at -= timedelta(days=33)
        served.checked_in_at = served.shift.starts_at
        db.session.commit()
    pairing_id = _pairing(app, make, leaving)
    upcoming = [full.shifts[0].id, *(a.shifts[0].id for a in others)]
    return auth, leaving, waiter, upcoming, past.shifts[0].id, pairing_id


def _statuses(user_id: int) -> dict[int, SignupStatus]:
    return dict(db.session.execute(select(Signup.shift_id, Signup.status).where(Signup.user_id == user_id)).all())


def test_deleting_an_account_cancels_moves_up_ends_pairings_and_anonymises(app, make):
    auth, leaving, waiter, upcoming, past_shift, pairing_id = _world(app, make)
    response = auth.post("/me/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        statuses = _statuses(leaving.id)
        assert [statuses[shift_id] for shift_id in upcoming] == [SignupStatus.CANCELLED] * 3
        assert statuses[past_shift] == SignupStatus.CONFIRMED  # past service still counts
        moved_up = db.session.scalar(select(Signup).where(Signup.user_id == waiter.id))
        assert moved_up.status == SignupStatus.CONFIRMED and moved_up.promoted_at is not None
        promotion = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "signup.promoted", AuditEntry.object_id == moved_up.id)
        )
        assert promotion.actor_id is None and promotion.detail["system"] is True
        pairing = db.session.get(Pairing, pairing_id)
        assert pairing.status == PairingStatus.ENDED and pairing.ended_on == today()
        assert pairing.end_cause == PairingEndCause.MENTOR_DELETED and pairing.end_noted_at is None
        ended = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pairing.ended"))
        assert ended.detail == {"pairing": pairing_id, "cause": "mentor_deleted", "system": True}
        row = db.session.get(User, leaving.id)
        assert row.name == "" and row.phone is None and row.username is None and row.calendar_token is None
        assert not row.is_active and row.anonymised_at is not None
        cancelled_by = db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "signup.cancelled"))
        assert set(cancelled_by) == {leaving.id}
    assert auth.client.get("/me/activities").status_code == 302  # logged out
    assert Auth(app.test_client()).login(PHONE).status_code == 401


_REFUSE_ANONYMISING = {
    # A real refusal by the database at the last step (as a full disk or a constraint would refuse it): the UPDATE
    # that anonymises the account fails. Created inside the test's transaction, so it is rolled back with it.
    "sqlite": [
        "CREATE TRIGGER refuse_anonymising BEFORE UPDATE OF anonymised_at ON users "
        "WHEN NEW.anonymised_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_anonymising() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the database'; END $$",
        "CREATE TRIGGER refuse_anonymising BEFORE UPDATE OF anonymised_at ON users FOR EACH ROW "
        "WHEN (NEW.anonymised_at IS NOT NULL) EXECUTE FUNCTION refuse_anonymising()",
    ],
}


def _deletion_fails_at_the_last_step_and_changes_nothing(app, make) -> None:
    auth, leaving, waiter, upcoming, _past_shift, pairing_id = _world(app, make)
    with app.app_context():
        before = _statuses(leaving.id)
        audit_count = db.session.scalar(select(db.func.count(AuditEntry.id)))
        for statement in _REFUSE_ANONYMISING[db.engine.dialect.name]:
            db.session.execute(text(statement))
        db.session.commit()
    response = auth.post("/me/delete")
    assert response.status_code == 500
    with app.app_context():
        assert _statuses(leaving.id) == before
        assert [before[shift_id] for shift_id in upcoming] == [SignupStatus.CONFIRMED] * 3
        assert db.session.scalar(select(Signup.status).where(Signup.user_id == waiter.id)) == SignupStatus.WAITLISTED
        pairing = db.session.get(Pairing, pairing_id)
        assert pairing.status == PairingStatus.ACTIVE and pairing.ended_on is None and pairing.end_cause is None
        row = db.session.get(User, leaving.id)
        assert (row.name, row.phone, row.is_active, row.anonymised_at) == ("将离开", PHONE, True, None)
        assert db.session.scalar(select(db.func.count(AuditEntry.id))) == audit_count
    assert auth.client.get("/me/activities").status_code == 200  # still logged in, account intact


def test_when_the_last_step_fails_nothing_has_changed(app, make):
    _deletion_fails_at_the_last_step_and_changes_nothing(app, make)


@pytest.fixture(params=DATABASES)
def own_app(request, tmp_path_factory):
    """An app on a database of its own: the request's transaction is the outermost one, as in production (no test
    savepoint that could hide a commit in the middle)."""
    with app_on_own_database(request.param, tmp_path_factory, load_reference_data) as app:
        yield app


def test_when_the_last_step_fails_on_a_real_outermost_transaction_nothing_has_changed(own_app):
    _deletion_fails_at_the_last_step_and_changes_nothing(own_app, Factory(own_app))


def test_staff_accounts_are_not_deleted_here(app, make):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league", name="协调员")
    auth = _login(app, coordinator)
    assert auth.client.get("/me/delete").status_code == 403
    assert auth.post("/me/delete").status_code == 403
    with app.app_context():
        row = db.session.get(User, coordinator.id)
        assert row.is_active and row.name == "协调员" and row.anonymised_at is None
    assert "Delete my account" not in auth.client.get("/me/activities?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "shown"), [("en", "Former volunteer"), ("zh_Hans_CN", "已注销志愿者")])
def test_a_deleted_volunteer_is_named_in_the_readers_language(app, make, lang, shown):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)], days_ahead=3)
    volunteer = make.user(Role.VOLUNTEER, name="将离开")
    leaving = _login(app, volunteer)
    leaving.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():  # the shift was served, then the volunteer left
        signup = db.session.scalar(select(Signup).where(Signup.user_id == volunteer.id))
        signup.shift.starts_at -= timedelta(days=10)
        signup.shift.ends_at -= timedelta(days=10)
        signup.checked_in_at = signup.shift.starts_at
        db.session.commit()
    leaving.client.get("/?lang=en")  # the deleting user reads English: it must not matter
    assert leaving.post("/me/delete").status_code == 302
    coordinator = _login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    roster = coordinator.client.get(f"/manage/activities/{activity.id}?lang={lang}").get_data(as_text=True)
    assert shown in roster and "将离开" not in roster
    csv_text = coordinator.client.get(f"/manage/shifts/{activity.shifts[0].id}/roster.csv?lang={lang}").text
    assert shown in csv_text and "将离开" not in csv_text
    admin = _login(app, make.admin())
    log = admin.client.get(f"/admin/audit/?actor={volunteer.id}&lang={lang}").get_data(as_text=True)
    assert shown in log and "将离开" not in log
    with app.app_context():
        assert db.session.get(User, volunteer.id).name == ""  # nothing stored in anybody's language
