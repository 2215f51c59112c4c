"""The service certificate: the same hours as "my activities" (mentoring included), its issuers, a serial number,
and a public check behind an opaque token that shows only the masked name, hours, issuers and date."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from app.activities.models import Certificate, Signup
from app.auth.models import Role, User
from app.directory.models import Organization
from app.extensions import db
from app.mentoring.models import ConsentMethod, MentoringSession, Pairing, PairingKind
from app.timeutils import to_local
from tests.conftest import Auth

PHONE = "13911112222"


def _volunteer(app, make, name: str = "张小明") -> tuple[Auth, User]:
    user = make.user(Role.VOLUNTEER, name=name, phone=PHONE, username=None)
    auth = Auth(app.test_client())
    assert auth.login(PHONE).status_code == 302
    return auth, user


def _served(app, make, auth: Auth, user: User, *, hours: int, organization: str = "youth-league") -> None:
    """A shift of ``hours`` at ``organization``'s activity, checked in and out: it was served."""
    activity = make.activity(organization, shifts=[(8, 8 + hours, 5)], days_ahead=2)
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    with app.app_context():
        signup = db.session.scalar(
            select(Signup).where(Signup.user_id == user.id, Signup.shift_id == activity.shifts[0].id)
        )
        signup.shift.starts_at -= timedelta(days=9)
        signup.shift.ends_at -= timedelta(days=9)
        signup.checked_in_at = signup.shift.starts_at
        signup.checked_out_at = signup.shift.ends_at
        db.session.commit()


def _mentored(app, make, user: User, *, minutes: list[int], organization: str = "womens-federation") -> None:
    village = make.village("fengzhou")
    child = make.child(village.id, name="赵小雨")
    admin = make.admin()
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == organization))
        pairing = Pairing(
            child_id=child.id,
            mentor_id=user.id,
            organization_id=org.id,
            kind=PairingKind.CARING_MOTHER,
            started_on=date.today() - timedelta(days=60),
            consent_by="赵奶奶",
            consent_on=date.today() - timedelta(days=60),
            consent_method=ConsentMethod.IN_PERSON,
            created_by_id=admin.id,
        )
        db.session.add(pairing)
        db.session.flush()
        for n, length in enumerate(minutes):
            db.session.add(
                MentoringSession(
                    pairing_id=pairing.id,
                    held_on=date.today() - timedelta(days=n + 1),
                    minutes=length,
                    what_was_done="陪伴",
                )
            )
        db.session.commit()


def _certificates(app, user_id: int) -> list[Certificate]:
    with app.app_context():
        rows = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.id))
        rows = list(rows)
        db.session.expunge_all()
        return rows


def test_certificate_counts_mentoring_hours_like_my_activities(app, make):
    auth, user = _volunteer(app, make)
    _served(app, make, auth, user, hours=2)
    _mentored(app, make, user, minutes=[60, 120])
    assert "Service hours: 5.0" in auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    preview = auth.client.get("/me/certificate?lang=en").get_data(as_text=True)
    assert "Service hours: 5.0" in preview and "Issue my certificate" in preview
    assert _certificates(app, user.id) == []  # opening the page issues nothing
    assert auth.post("/me/certificate/issue").status_code == 302
    (certificate,) = _certificates(app, user.id)
    assert (certificate.activity_minutes, certificate.mentoring_minutes) == (120, 180)
    with app.app_context():
        issuers = db.session.scalars(select(Organization.code).where(Organization.id.in_(certificate.issuer_ids)))
        assert set(issuers) == {"youth-league", "womens-federation"}
    page = auth.client.get("/me/certificate?lang=en").get_data(as_text=True)
    assert "Total service hours: 5.0" in page and "One-to-one mentoring" in page
    assert "Communist Youth League" in page and "Women" in page  # both issuers named
    assert f"Serial number: {certificate.serial}" in page
    assert f"/certificates/{certificate.token}" in page and 'src="data:image/png;base64,' in page
    assert "This certificate is up to date." in page


def test_serial_number_names_the_year_and_the_token_is_opaque(app, make):
    auth, user = _volunteer(app, make)
    _served(app, make, auth, user, hours=3)
    auth.post("/me/certificate/issue")
    (certificate,) = _certificates(app, user.id)
    assert re.fullmatch(rf"SH-{to_local(certificate.issued_at).year}-\d{{6}}", certificate.serial)
    assert len(certificate.token) >= 40 and str(certificate.id) != certificate.token
    # Random, not derived from the serial, the account or the row (a random token may contain any digit).
    assert certificate.serial not in certificate.token


def test_issuing_again_returns_the_latest_until_the_record_changes(app, make):
    auth, user = _volunteer(app, make)
    _served(app, make, auth, user, hours=2)
    auth.post("/me/certificate/issue")
    auth.post("/me/certificate/issue")
    (first,) = _certificates(app, user.id)
    _mentored(app, make, user, minutes=[90])
    page = auth.client.get("/me/certificate?lang=en").get_data(as_text=True)
    assert "has changed since this certificate was issued" in page and "Issue an up-to-date certificate" in page
    assert "Total service hours: 2.0" in page  # the certificate says what it said the day it was issued
    auth.post("/me/certificate/issue")
    old, new = _certificates(app, user.id)
    assert old.id == first.id and new.serial != old.serial and new.token != old.token
    assert (new.activity_minutes, new.mentoring_minutes) == (120, 90)
    assert "3.5" in Auth(app.test_client()).client.get(f"/certificates/{new.token}?lang=en").get_data(as_text=True)
    old_check = app.test_client().get(f"/certificates/{old.token}?lang=en").get_data(as_text=True)
    assert "2.0" in old_check and "3.5" not in old_check


def test_public_check_shows_the_masked_name_hours_and_issuers_only(app, make):
    auth, user = _volunteer(app, make)
    _served(app, make, auth, user, hours=2, organization="youth-league")
    auth.post("/me/certificate/issue")
    (certificate,) = _certificates(app, user.id)
    response = app.test_client().get(f"/certificates/{certificate.token}?lang=en")  # anyone, not logged in
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "张*明" in page and "2.0" in page and "Communist Youth League" in page and "genuine" in page
    assert "张小明" not in page and PHONE not in page and certificate.serial not in page


def test_unknown_or_malformed_certificate_token_is_404(app, make):
    client = app.test_client()
    assert client.get("/certificates/" + "x" * 43).status_code == 404
    assert client.get("/certificates/" + "y" * 300).status_code == 404


def test_nothing_to_certify_issues_nothing(app, make):
    auth, _user = _volunteer(app, make)
    page = auth.client.get("/me/certificate?lang=en").get_data(as_text=True)
    assert "No service with check-in has been recorded yet." in page and "Issue my certificate" not in page
    response = auth.post("/me/certificate/issue?lang=en", follow_redirects=True)
    assert "There is no recorded service to certify yet." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_certificate_of_a_deleted_account_stays_genuine_without_a_name(app, make):
    auth, user = _volunteer(app, make)
    _served(app, make, auth, user, hours=2)
    auth.post("/me/certificate/issue")
    (certificate,) = _certificates(app, user.id)
    assert auth.post("/me/delete").status_code == 302
    english = app.test_client().get(f"/certificates/{certificate.token}?lang=en").get_data(as_text=True)
    chinese = app.test_client().get(f"/certificates/{certificate.token}?lang=zh_Hans_CN").get_data(as_text=True)
    assert "Former volunteer" in english and "已注销志愿者" in chinese
    assert "张" not in english.split("<main", 1)[-1].split("</main>")[0]
