"""A pairing's child is proposed by the child's director (R9): coordinators no longer search the county's files,
they see what the director proposed to their organization, and pair the child from the proposal."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.childcare.models import Child, ChildStatus
from app.childcare.services import ChildError, today
from app.directory.models import Organization
from app.extensions import db
from app.mentoring.models import ConsentMethod, Pairing, PairingKind, PairingProposal, ProposalStatus
from tests.test_mentoring import login, organization_id, pair, pairing_form, propose

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


@pytest.fixture
def people(app, make):
    """A child of a Fengzhou village, its director, a screened Women's Federation mentor and coordinator."""
    from datetime import timedelta

    village = make.village("fengzhou", name_zh="凤州测试村", name_en="Fengzhou Test Village")
    child = make.child(village.id, name="赵小雨", guardian_name="赵奶奶", guardian_phone="13900001111")
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id], name="主任甲"))
    mentor = make.user(
        Role.VOLUNTEER,
        name="爱心妈妈甲",
        organization="womens-federation",
        screened_until=today() + timedelta(days=300),
    )
    coordinator = login(app, make.user(Role.COORDINATOR, organization="womens-federation"))
    return village, child, director, mentor, coordinator


def proposals(app) -> list[PairingProposal]:
    with app.app_context():
        rows = list(db.session.scalars(select(PairingProposal).order_by(PairingProposal.id)))
        db.session.expunge_all()
        return rows


def test_coordinators_cannot_search_the_countys_files_any_more(app, people):
    _village, _child, _director, _mentor, coordinator = people
    assert coordinator.client.get("/mentoring/manage/new?q=赵").status_code == 404
    listing = coordinator.client.get("/mentoring/proposals?q=赵").get_data(as_text=True)
    assert "赵*雨" not in listing and "赵小雨" not in listing  # nothing proposed: nothing to see
    manage = coordinator.client.get("/mentoring/manage?q=赵").get_data(as_text=True)
    assert 'name="q"' not in manage and "赵*雨" not in manage


def test_director_proposes_the_coordinator_pairs_and_the_file_shows_the_pairing(app, people):
    _village, child, director, mentor, coordinator = people
    file_page = director.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert f"/mentoring/propose/{child.id}" in file_page and "Propose for one-to-one mentoring" in file_page
    response = propose(app, director, child.id, "womens-federation", kind="academic", needs=" 数学跟不上 ")
    assert response.status_code == 302
    (proposal,) = proposals(app)
    assert (proposal.status, proposal.kind, proposal.needs) == (ProposalStatus.OPEN, "academic", "数学跟不上")
    assert proposal.organization_id == organization_id(app, "womens-federation") and proposal.pairing_id is None
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pairing.proposed"))
        assert entry.object_id == child.id and entry.detail["proposal"] == proposal.id
    # The coordinator sees the masked name, village, age, kind and needs: nothing else of the file.
    listing = html.unescape(coordinator.client.get("/mentoring/proposals?lang=en").get_data(as_text=True))
    assert "赵*雨" in listing and "Fengzhou Test Village" in listing and "数学跟不上" in listing
    age = today().year - 2015 - ((today().month, today().day) < (6, 12))  # born 12 June 2015
    assert f"{age} years" in listing and "2015" not in listing  # the age, never the date of birth
    assert "赵小雨" not in listing and "赵奶奶" not in listing and "13900001111" not in listing
    assert "Academic one-to-one" in listing and f"/mentoring/manage/new/{proposal.id}" in listing
    form = coordinator.client.get(f"/mentoring/manage/new/{proposal.id}").get_data(as_text=True)
    assert "数学跟不上" in form and "赵奶奶" not in form  # the needs become what the mentor is told
    pair(app, coordinator, child, mentor, kind="academic", shared_needs="数学跟不上")
    with app.app_context():
        pairing = db.session.scalar(select(Pairing))
        assert (pairing.child_id, pairing.kind, pairing.shared_needs) == (child.id, "academic", "数学跟不上")
    (proposal,) = proposals(app)
    assert (proposal.status, proposal.pairing_id) == (ProposalStatus.ACCEPTED, pairing.id)
    # Taken up: off the coordinator's list, and the director sees the pairing from the file.
    assert "赵*雨" not in coordinator.client.get("/mentoring/proposals").get_data(as_text=True)
    mentoring = director.client.get(f"/mentoring/propose/{child.id}?lang=en").get_data(as_text=True)
    assert "Paired" in mentoring and "爱心妈妈甲" in mentoring and "Ongoing" in mentoring


def test_the_service_pairs_only_a_child_proposed_to_that_organization(app, people, make):
    from app.mentoring.services import PairingData, create_pairing

    _village, child, director, mentor, _coordinator = people
    propose(app, director, child.id, "youth-league")  # proposed, but to another organization
    with app.test_request_context():
        data = PairingData(
            child=db.session.get(Child, child.id),
            mentor=db.session.get(User, mentor.id),
            organization=db.session.scalar(select(Organization).where(Organization.code == "womens-federation")),
            kind=PairingKind.CARING_MOTHER,
            started_on=today(),
            consent_by="赵奶奶",
            consent_on=today(),
            consent_method=ConsentMethod.IN_PERSON,
        )
        with pytest.raises(ChildError) as error:
            create_pairing(data, by=db.session.get(User, mentor.id))
        assert error.value.code == "no_proposal"
        assert db.session.scalar(select(func.count(Pairing.id))) == 0


def test_a_coordinator_of_another_organization_neither_sees_nor_takes_up_a_proposal(app, people, make):
    _village, child, director, mentor, _coordinator = people
    propose(app, director, child.id, "womens-federation")
    (proposal,) = proposals(app)
    other = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    assert "赵*雨" not in other.client.get("/mentoring/proposals").get_data(as_text=True)
    assert other.client.get(f"/mentoring/manage/new/{proposal.id}").status_code == 403
    assert other.post(f"/mentoring/manage/new/{proposal.id}", pairing_form(mentor.id)).status_code == 403
    admin = login(app, make.admin())
    assert "赵*雨" in admin.client.get("/mentoring/proposals").get_data(as_text=True)  # the county sees them all
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None


def test_director_withdraws_an_open_proposal(app, people):
    _village, child, director, mentor, coordinator = people
    propose(app, director, child.id, "womens-federation")
    (proposal,) = proposals(app)
    assert director.post(f"/mentoring/proposals/{proposal.id}/withdraw").status_code == 302
    (proposal,) = proposals(app)
    assert proposal.status == ProposalStatus.WITHDRAWN and proposal.decided_at is not None
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pairing.proposal_withdrawn"))
    assert "赵*雨" not in coordinator.client.get("/mentoring/proposals").get_data(as_text=True)
    late = coordinator.post(f"/mentoring/manage/new/{proposal.id}?lang=en", pairing_form(mentor.id))
    assert late.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Pairing)) is None
    # Withdrawing twice changes nothing and says why.
    again = director.post(f"/mentoring/proposals/{proposal.id}/withdraw?lang=en", follow_redirects=True)
    assert "already been taken up or withdrawn" in again.get_data(as_text=True)
    # The child may be proposed again.
    propose(app, director, child.id, "womens-federation")
    assert [p.status for p in proposals(app)] == [ProposalStatus.WITHDRAWN, ProposalStatus.OPEN]


def test_only_the_childs_director_proposes_or_withdraws(app, people, make):
    _village, child, director, _mentor, coordinator = people
    other_director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[make.village("hekou").id]))
    supervisor = login(app, make.user(Role.TOWN_SUPERVISOR, town="fengzhou"))
    assert other_director.client.get(f"/mentoring/propose/{child.id}").status_code == 404
    assert propose(app, other_director, child.id, "womens-federation").status_code == 404
    assert supervisor.client.get(f"/mentoring/propose/{child.id}").status_code == 403
    assert coordinator.client.get(f"/mentoring/propose/{child.id}").status_code == 403
    assert proposals(app) == []
    propose(app, director, child.id, "womens-federation")
    (proposal,) = proposals(app)
    assert other_director.post(f"/mentoring/proposals/{proposal.id}/withdraw").status_code == 404
    assert coordinator.post(f"/mentoring/proposals/{proposal.id}/withdraw").status_code == 403
    assert proposals(app)[0].status == ProposalStatus.OPEN


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"organization_id": "0"}, "Choose an organization."),
        ({"organization_id": "abc"}, ""),
        ({"organization_id": "99999999"}, ""),
        ({"kind": "nonsense"}, ""),
        ({"needs": "长" * 2001}, ""),
    ],
)
def test_a_bad_proposal_changes_nothing(app, people, overrides, message):
    _village, child, director, _mentor, _coordinator = people
    response = propose(app, director, child.id, "womens-federation", query="?lang=en", **overrides)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert proposals(app) == []


def test_a_child_is_proposed_once_per_organization_and_a_closed_file_not_at_all(app, people, make):
    _village, child, director, _mentor, _coordinator = people
    propose(app, director, child.id, "womens-federation")
    twice = director.post(
        f"/mentoring/propose/{child.id}?lang=en",
        {"organization_id": str(organization_id(app, "womens-federation")), "kind": "companion", "needs": ""},
    )
    assert twice.status_code == 422
    assert "already been proposed to this organization" in html.unescape(twice.get_data(as_text=True))
    assert len(proposals(app)) == 1
    retired = make.organization("retired-org", is_active=False)
    with app.app_context():
        db.session.get(Child, child.id).status = ChildStatus.CLOSED
        db.session.commit()
    closed = director.post(
        f"/mentoring/propose/{child.id}?lang=en",
        {"organization_id": str(organization_id(app, "youth-league")), "kind": "companion", "needs": ""},
    )
    assert "This child's file is closed." in html.unescape(closed.get_data(as_text=True))
    inactive = propose(app, director, child.id, "retired-org")
    assert inactive.status_code == 422 and retired.is_active is False
    assert len(proposals(app)) == 1


def test_the_proposal_service_checks_who_proposes_and_to_whom(app, people, make):
    from app.mentoring.proposals import propose_child

    _village, child, _director, mentor, _coordinator = people
    retired = make.organization("retired-org", is_active=False)
    admin_id = make.admin().id
    with app.test_request_context():
        row = db.session.get(Child, child.id)
        admin = db.session.get(User, admin_id)
        with pytest.raises(ChildError) as error:
            propose_child(row, db.session.get(Organization, retired.id), kind=PairingKind.COMPANION, needs="", by=admin)
        assert error.value.code == "inactive_organization"
        federation = db.session.scalar(select(Organization).where(Organization.code == "womens-federation"))
        with pytest.raises(ChildError) as error:
            propose_child(row, federation, kind=PairingKind.COMPANION, needs="", by=db.session.get(User, mentor.id))
        assert error.value.code == "not_your_child"
        assert db.session.scalar(select(func.count(PairingProposal.id))) == 0
