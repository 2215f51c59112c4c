"""One-to-one pairings: screened mentors, recorded consent, sessions on the child's file, a mentor's narrow view."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.childcare.models import Problem
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing, PairingStatus
from tests.conftest import Auth


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def setup(app, make, *, screened: bool = True):
    village = make.village("fengzhou")
    child = make.child(village.id, name="赵小雨")
    mentor = make.user(
        Role.VOLUNTEER,
        name="爱心妈妈甲",
        organization="womens-federation",
        screened_until=date.today() + timedelta(days=300) if screened else None,
    )
    coordinator = login(app, make.user(Role.COORDINATOR, organization="womens-federation"))
    return village, child, mentor, coordinator


def pairing_form(child_id: int, mentor_id: int, **overrides) -> dict:
    data = {
        "q": "小雨",
        "child_id": str(child_id),
        "mentor_id": str(mentor_id),
        "kind": "caring_mother",
        "started_on": date.today().isoformat(),
        "planned_end": "",
        "goal": "每周陪伴一次",
        "shared_needs": "喜欢画画，想念妈妈",
        "consent_by": "赵奶奶",
        "consent_on": date.today().isoformat(),
        "consent_method": "in_person",
    }
    data.update(overrides)
    return data


def test_coordinator_pairs_a_screened_mentor_with_a_child(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    page = coordinator.client.get("/mentoring/manage/new?q=小雨").get_data(as_text=True)
    assert "赵*雨" in page and "赵小雨" not in page
    response = coordinator.post("/mentoring/manage/new", pairing_form(child.id, mentor.id))
    assert response.status_code == 302
    with app.app_context():
        pairing = db.session.scalar(select(Pairing))
        assert pairing.consent_by == "赵奶奶" and pairing.mentor_id == mentor.id


def test_unscreened_mentor_or_no_consent_is_refused(app, make):
    _village, child, mentor, coordinator = setup(app, make, screened=False)
    page = coordinator.post("/mentoring/manage/new?lang=en", pairing_form(child.id, mentor.id)).get_data(as_text=True)
    assert "no valid screening" in page
    with app.app_context():
        db.session.get(User, mentor.id).screened_until = date.today() + timedelta(days=30)
        db.session.commit()
    page = coordinator.post("/mentoring/manage/new?lang=en", pairing_form(child.id, mentor.id, consent_by=""))
    assert "guardian's consent" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None


def test_a_volunteer_of_no_organization_cannot_be_paired(app, make):
    _village, child, _mentor, coordinator = setup(app, make)
    loner = make.user(Role.VOLUNTEER, name="无组织", screened_until=date.today() + timedelta(days=30))
    coordinator.post("/mentoring/manage/new", pairing_form(child.id, loner.id))
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None


def make_pairing(app, coordinator, child, mentor) -> int:
    coordinator.post("/mentoring/manage/new", pairing_form(child.id, mentor.id))
    with app.app_context():
        return db.session.scalar(select(Pairing.id))


def test_mentor_sees_only_the_given_name_and_logs_sessions_that_reach_the_file(app, make):
    village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    mentor_auth = login(app, db_user(app, mentor.id))
    mine = mentor_auth.client.get("/mentoring/").get_data(as_text=True)
    assert "小雨" in mine and "赵小雨" not in mine and "喜欢画画" in mine
    assert mentor_auth.client.get(f"/children/{child.id}").status_code == 403
    response = mentor_auth.post(
        f"/mentoring/{pairing_id}",
        {"held_on": date.today().isoformat(), "minutes": "90", "what_was_done": "一起画画", "worry": "说晚上害怕"},
    )
    assert response.status_code == 302
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    file_page = director.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "Mentoring session" in file_page and "一起画画" in file_page
    with app.app_context():
        assert "说晚上害怕" in db.session.scalar(select(Problem.description))
    assert "Service hours: 1.5" in mentor_auth.client.get("/me/activities?lang=en").get_data(as_text=True)


def db_user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_expired_screening_pauses_sessions_and_tells_the_coordinator(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    with app.app_context():
        db.session.get(User, mentor.id).screened_until = date.today() - timedelta(days=1)
        db.session.commit()
    mentor_auth = login(app, db_user(app, mentor.id))
    mentor_auth.post(
        f"/mentoring/{pairing_id}", {"held_on": date.today().isoformat(), "minutes": "30", "what_was_done": "x"}
    )
    with app.app_context():
        assert db.session.scalar(select(MentoringSession)) is None
    assert "sessions paused" in coordinator.client.get("/mentoring/manage?lang=en").get_data(as_text=True)


def test_ended_pairing_takes_no_more_sessions(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    coordinator.post(f"/mentoring/manage/{pairing_id}", {"reason": "孩子转学"})
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).status == PairingStatus.ENDED
    mentor_auth = login(app, db_user(app, mentor.id))
    mentor_auth.post(
        f"/mentoring/{pairing_id}", {"held_on": date.today().isoformat(), "minutes": "30", "what_was_done": "x"}
    )
    with app.app_context():
        assert db.session.scalar(select(MentoringSession)) is None


def test_other_people_cannot_open_a_pairing(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    stranger = login(app, make.user())
    assert stranger.client.get(f"/mentoring/{pairing_id}").status_code == 404
    other = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    assert other.client.get(f"/mentoring/manage/{pairing_id}").status_code == 403
