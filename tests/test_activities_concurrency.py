"""Capacity holds under concurrent sign-ups: real threads, each with its own database connection."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.activities.models import Signup, SignupStatus
from app.activities.services import sign_up
from app.auth.models import User
from app.directory.reference import load_reference_data
from app.extensions import db
from tests.conftest import DATABASES, make_test_config, new_database_url
from tests.factories import Factory
from tests.threads import start_together

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer

CAPACITY = 5
VOLUNTEERS = 24


@pytest.fixture(params=DATABASES)
def concurrent_app(request, tmp_path_factory):
    url, drop = new_database_url(request.param, tmp_path_factory)
    app = create_app(make_test_config(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": VOLUNTEERS, "max_overflow": 4}))
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


def test_concurrent_sign_ups_never_exceed_capacity(concurrent_app):
    app = concurrent_app
    shift_id, user_ids = Factory(app).shift_with_volunteers(VOLUNTEERS, CAPACITY, title="并发测试")

    def volunteer(user_id: int):
        def job(go) -> None:
            with app.test_request_context():
                user = db.session.get(User, user_id)  # loaded first: every thread holds a connection while it waits
                go()
                sign_up(shift_id, user)
                db.session.commit()

        return job

    start_together([volunteer(uid) for uid in user_ids])
    with app.app_context():
        signups = db.session.scalars(
            select(Signup).where(Signup.shift_id == shift_id).order_by(Signup.queued_at, Signup.id)
        ).all()
    assert len(signups) == VOLUNTEERS
    confirmed = [s for s in signups if s.status == SignupStatus.CONFIRMED]
    waitlisted = [s for s in signups if s.status == SignupStatus.WAITLISTED]
    assert len(confirmed) == CAPACITY
    assert len(waitlisted) == VOLUNTEERS - CAPACITY
    # First come, first served: everyone confirmed queued before everyone waiting.
    assert max(s.queued_at for s in confirmed) <= min(s.queued_at for s in waitlisted)
