"""One-to-one pairings: screened mentors, recorded consent, sessions on the child's file, a mentor's narrow view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.childcare.models import Problem, ProblemSource
from app.childcare.services import ChildError, today
from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing, PairingProposal, PairingStatus
from tests.conftest import Auth


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def setup(app, make, *, screened: bool = True):
    """A child of a Fengzhou village, its director (who proposes the child to the Women's Federation), a mentor
    of the Federation and the Federation's coordinator, logged in."""
    village = make.village("fengzhou")
    child = make.child(village.id, name="赵小雨")
    mentor = make.user(
        Role.VOLUNTEER,
        name="爱心妈妈甲",
        organization="womens-federation",
        screened_until=today() + timedelta(days=300) if screened else None,
    )
    coordinator = login(app, make.user(Role.COORDINATOR, organization="womens-federation"))
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    propose(app, director, child.id, "womens-federation")
    return village, child, mentor, coordinator


def organization_id(app, code: str) -> int:
    from app.directory.models import Organization

    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == code))


def propose(app, director: Auth, child_id: int, organization: str, query: str = "", **overrides):
    data = {"organization_id": str(organization_id(app, organization)), "kind": "caring_mother", "needs": "喜欢画画"}
    return director.post(f"/mentoring/propose/{child_id}{query}", {**data, **overrides})


def open_proposal_id(app, child_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(PairingProposal.id).where(PairingProposal.child_id == child_id, PairingProposal.status == "open")
        )


def pairing_form(mentor_id: int, **overrides) -> dict:
    data = {
        "mentor_id": str(mentor_id),
        "kind": "caring_mother",
        "started_on": today().isoformat(),
        "planned_end": "",
        "goal": "每周陪伴一次",
        "shared_needs": "喜欢画画，想念妈妈",
        "consent_by": "赵奶奶",
        "consent_on": today().isoformat(),
        "consent_method": "in_person",
    }
    data.update(overrides)
    return data


def pair(app, coordinator: Auth, child, mentor, **overrides):
    return coordinator.post(
        f"/mentoring/manage/new/{open_proposal_id(app, child.id)}", pairing_form(mentor.id, **overrides)
    )


def test_coordinator_pairs_a_proposed_child_with_a_screened_mentor(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    proposal_id = open_proposal_id(app, child.id)
    page = coordinator.client.get(f"/mentoring/manage/new/{proposal_id}").get_data(as_text=True)
    assert "赵*雨" in page and "赵小雨" not in page and "喜欢画画" in page
    response = pair(app, coordinator, child, mentor)
    with app.app_context():
        pairing = db.session.scalar(select(Pairing))
        assert (pairing.consent_by, pairing.mentor_id, pairing.child_id) == ("赵奶奶", mentor.id, child.id)
        assert pairing.shared_needs == "喜欢画画，想念妈妈" and pairing.status == PairingStatus.ACTIVE
        proposal = db.session.get(PairingProposal, proposal_id)
        assert (proposal.status, proposal.pairing_id) == ("accepted", pairing.id) and proposal.decided_at
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pairing.created"))
        assert entry.object_id == child.id and entry.detail["proposal"] == proposal_id
    assert response.headers["Location"].endswith(f"/mentoring/manage/{pairing.id}")
    # Taken up: the proposal can be used once only.
    again = coordinator.client.get(f"/mentoring/manage/new/{proposal_id}?lang=en", follow_redirects=True)
    assert "already been taken up or withdrawn" in again.get_data(as_text=True)


def test_unscreened_mentor_or_no_consent_is_refused(app, make):
    _village, child, mentor, coordinator = setup(app, make, screened=False)
    url = f"/mentoring/manage/new/{open_proposal_id(app, child.id)}?lang=en"
    page = coordinator.client.get(url).get_data(as_text=True)
    assert "no mentor with a valid screening" in page and "爱心妈妈甲" not in page  # unscreened: not offered
    with app.app_context():
        db.session.get(User, mentor.id).screened_until = today() + timedelta(days=30)
        db.session.commit()
    refused = coordinator.post(url, pairing_form(mentor.id, consent_by=""))
    assert refused.status_code == 422 and "guardian's consent" in refused.get_data(as_text=True)
    late = coordinator.post(url, pairing_form(mentor.id, consent_on=(today() + timedelta(days=1)).isoformat()))
    assert late.status_code == 422 and "cannot be in the future" in late.get_data(as_text=True)
    short = coordinator.post(
        url, pairing_form(mentor.id, started_on=today().isoformat(), planned_end=today().isoformat())
    )
    assert "The planned end must come after the start." in short.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None
        assert db.session.scalar(select(PairingProposal.status)) == "open"


def test_a_volunteer_of_no_organization_cannot_be_paired(app, make):
    _village, child, _mentor, coordinator = setup(app, make)
    loner = make.user(Role.VOLUNTEER, name="无组织", screened_until=today() + timedelta(days=30))
    response = pair(app, coordinator, child, loner)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None


def test_the_service_refuses_a_mentor_of_no_organization(app, make):
    from app.directory.models import Organization
    from app.mentoring.models import ConsentMethod, PairingKind
    from app.mentoring.services import PairingData, create_pairing

    _village, child, _mentor, _coordinator = setup(app, make)
    loner = make.user(Role.VOLUNTEER, screened_until=today() + timedelta(days=30))
    with app.test_request_context():
        data = PairingData(
            child=db.session.get(type(child), child.id),
            mentor=db.session.get(User, loner.id),
            organization=db.session.scalar(select(Organization).where(Organization.code == "womens-federation")),
            kind=PairingKind.COMPANION,
            started_on=today(),
            consent_by="赵奶奶",
            consent_on=today(),
            consent_method=ConsentMethod.PHONE,
        )
        with pytest.raises(ChildError) as error:
            create_pairing(data, by=db.session.get(User, loner.id))
        assert error.value.code == "no_organization"


def make_pairing(app, coordinator, child, mentor) -> int:
    pair(app, coordinator, child, mentor)
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
        {"held_on": today().isoformat(), "minutes": "90", "what_was_done": "一起画画", "worry": " 说晚上害怕 "},
    )
    assert response.status_code == 302
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    file_page = director.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "Mentoring session" in file_page and "一起画画" in file_page
    with app.app_context():
        session = db.session.scalar(select(MentoringSession))
        problem = db.session.scalar(select(Problem))
        # The problem says where it came from and holds the mentor's own words, not a sentence about them.
        assert (problem.source, problem.mentoring_session_id) == (ProblemSource.MENTORING, session.id)
        assert (problem.description, problem.author_id, problem.child_id) == ("说晚上害怕", mentor.id, child.id)
    # The mentor sees what they passed on; the organization's coordinator does not read it.
    own = mentor_auth.client.get(f"/mentoring/{pairing_id}?lang=en").get_data(as_text=True)
    assert "Passed on to the child director: 说晚上害怕" in own
    assert "说晚上害怕" not in coordinator.client.get(f"/mentoring/manage/{pairing_id}").get_data(as_text=True)
    assert "Service hours: 1.5" in mentor_auth.client.get("/me/activities?lang=en").get_data(as_text=True)


def test_a_session_without_a_worry_raises_no_problem_and_bad_minutes_are_refused(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    mentor_auth = login(app, db_user(app, mentor.id))
    day = today().isoformat()
    bad = mentor_auth.post(f"/mentoring/{pairing_id}?lang=en", {"held_on": day, "minutes": "0", "what_was_done": "x"})
    assert bad.status_code == 422 and "from 1 to 1440" in bad.get_data(as_text=True)
    mentor_auth.post(f"/mentoring/{pairing_id}", {"held_on": day, "minutes": "45", "what_was_done": "读书"})
    with app.app_context():
        assert db.session.scalar(select(MentoringSession.minutes)) == 45
        assert db.session.scalar(select(Problem)) is None


def test_only_the_pairings_mentor_logs_its_sessions(app, make):
    from app.mentoring.services import log_session

    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    other = make.user(Role.VOLUNTEER, organization="womens-federation")
    with app.test_request_context():
        with pytest.raises(ChildError) as error:
            log_session(
                db.session.get(Pairing, pairing_id),
                held_on=today(),
                minutes=30,
                what_was_done="x",
                worry="",
                by=db.session.get(User, other.id),
            )
        assert error.value.code == "not_your_pairing"


def db_user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_expired_screening_pauses_sessions_and_tells_the_coordinator(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    with app.app_context():
        db.session.get(User, mentor.id).screened_until = today() - timedelta(days=1)
        db.session.commit()
    mentor_auth = login(app, db_user(app, mentor.id))
    mentor_auth.post(
        f"/mentoring/{pairing_id}", {"held_on": today().isoformat(), "minutes": "30", "what_was_done": "x"}
    )
    with app.app_context():
        assert db.session.scalar(select(MentoringSession)) is None
    assert "sessions paused" in coordinator.client.get("/mentoring/manage?lang=en").get_data(as_text=True)


def test_coordinator_records_a_screening(app, make):
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    volunteer = make.user(Role.VOLUNTEER, name="团员甲", organization="youth-league")
    outsider = make.user(Role.VOLUNTEER, name="外人", organization="police")
    until = today() + timedelta(days=180)
    page = coordinator.client.get("/mentoring/manage").get_data(as_text=True)
    assert "团员甲" in page and "外人" not in page
    past = coordinator.post(
        "/mentoring/manage?lang=en",
        {"mentor_id": str(volunteer.id), "valid_until": (today() - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 422 and "valid until today or later" in past.get_data(as_text=True)
    foreign = coordinator.post("/mentoring/manage", {"mentor_id": str(outsider.id), "valid_until": until.isoformat()})
    assert foreign.status_code == 422
    with app.app_context():
        assert db.session.get(User, volunteer.id).screened_until is None
        assert db.session.get(User, outsider.id).screened_until is None
    done = coordinator.post("/mentoring/manage", {"mentor_id": str(volunteer.id), "valid_until": until.isoformat()})
    assert done.status_code == 302
    with app.app_context():
        screened = db.session.get(User, volunteer.id)
        assert screened.screened_until == until and screened.screened_by_id == organization_id(app, "youth-league")
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mentor.screened"))
        assert entry.object_id == volunteer.id and entry.detail["until"] == until.isoformat()


def test_coordinator_ends_a_pairing_and_it_takes_no_more_sessions(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    blank = coordinator.post(f"/mentoring/manage/{pairing_id}", {"reason": " "})
    assert blank.status_code == 422
    coordinator.post(f"/mentoring/manage/{pairing_id}", {"reason": "孩子转学"})
    with app.app_context():
        pairing = db.session.get(Pairing, pairing_id)
        assert (pairing.status, pairing.end_reason, pairing.ended_on) == (PairingStatus.ENDED, "孩子转学", today())
        assert pairing.end_cause is None
    mentor_auth = login(app, db_user(app, mentor.id))
    mentor_auth.post(
        f"/mentoring/{pairing_id}", {"held_on": today().isoformat(), "minutes": "30", "what_was_done": "x"}
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
    assert other.post(f"/mentoring/manage/{pairing_id}", {"reason": "x"}).status_code == 403
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).status == PairingStatus.ACTIVE
