"""A mentor who deletes their account leaves pairings the system ended: the coordinator sees them at the top of the
pairings page until they note them, and the deleted mentor's name reads in the reader's language."""

from __future__ import annotations

import html

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.extensions import db
from app.mentoring.models import Pairing, PairingEndCause, PairingStatus
from tests.test_mentoring import login, make_pairing, setup

NOTICE = "Mentor's account deleted: this pairing has ended — find the child a new mentor"


def delete_mentor(app, mentor_id: int) -> None:
    """The mentor deletes their account (the real service the account page calls)."""
    from app.accounts.services import delete_volunteer_account

    with app.test_request_context():
        mentor = db.session.get(User, mentor_id)
        delete_volunteer_account(mentor, by=mentor)
        db.session.commit()


def ended_pairing(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    delete_mentor(app, mentor.id)
    return pairing_id, coordinator


def test_a_pairing_ended_by_account_deletion_tops_the_coordinators_page_until_noted(app, make):
    pairing_id, coordinator = ended_pairing(app, make)
    with app.app_context():
        pairing = db.session.get(Pairing, pairing_id)
        assert (pairing.status, pairing.end_cause, pairing.end_noted_at) == (
            PairingStatus.ENDED,
            PairingEndCause.MENTOR_DELETED,
            None,
        )
    page = html.unescape(coordinator.client.get("/mentoring/manage?lang=en").get_data(as_text=True))
    assert NOTICE in page and "赵*雨" in page.split(NOTICE)[0]
    assert page.index(NOTICE) < page.index("Mentor screening")
    assert "Former volunteer" in page and "爱心妈妈甲" not in page  # the deleted mentor keeps no name
    assert "已注销志愿者" in coordinator.client.get("/mentoring/manage?lang=zh").get_data(as_text=True)
    response = coordinator.post(f"/mentoring/manage/{pairing_id}/noted")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mentoring/manage")
    with app.app_context():
        noted = db.session.get(Pairing, pairing_id).end_noted_at
        assert noted is not None
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pairing.end_noted"))
        assert entry.detail["pairing"] == pairing_id and entry.detail["cause"] == "mentor_deleted"
    assert NOTICE not in html.unescape(coordinator.client.get("/mentoring/manage?lang=en").get_data(as_text=True))
    # Noting again changes nothing; the page the button was on is where the coordinator returns.
    again = coordinator.post(f"/mentoring/manage/{pairing_id}/noted", {"next": "/"})
    assert again.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).end_noted_at == noted


def test_noting_is_for_the_pairings_own_organization_and_never_redirects_away(app, make):
    pairing_id, coordinator = ended_pairing(app, make)
    other = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    assert other.post(f"/mentoring/manage/{pairing_id}/noted").status_code == 403
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).end_noted_at is None
    away = coordinator.post(f"/mentoring/manage/{pairing_id}/noted", {"next": "https://example.com/"})
    assert away.headers["Location"].endswith("/mentoring/manage")


def test_a_pairing_ended_by_hand_has_nothing_to_note(app, make):
    _village, child, mentor, coordinator = setup(app, make)
    pairing_id = make_pairing(app, coordinator, child, mentor)
    coordinator.post(f"/mentoring/manage/{pairing_id}", {"reason": "孩子转学"})
    page = coordinator.post(f"/mentoring/manage/{pairing_id}/noted?lang=en", follow_redirects=True)
    assert "not ended by the system" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).end_noted_at is None


def test_the_childs_director_sees_why_the_pairing_ended(app, make):
    village, child, mentor, coordinator = setup(app, make)
    make_pairing(app, coordinator, child, mentor)
    delete_mentor(app, mentor.id)
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    page = html.unescape(director.client.get(f"/mentoring/propose/{child.id}?lang=en").get_data(as_text=True))
    pairing = page.split("<h2>Pairings</h2>", 1)[1].split("</section>", 1)[0]
    assert "Ended" in pairing and "(The mentor's account was deleted)" in pairing and "Former volunteer" in pairing
    assert "Today" in pairing.split("ended", 1)[1]  # the day it ended, in the site's date style
