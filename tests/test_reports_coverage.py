"""Safety coverage per child: counts for everyone allowed, names only for the child director and supervisor."""

from __future__ import annotations

import html
import re
from datetime import date

from app.activities.models import ActivityKind, SafetyTopic
from app.auth.models import Role
from app.childcare.models import Attendance
from app.extensions import db
from tests.conftest import Auth
from tests.test_reports_departments import at, held


def test_coverage_counts_and_names_the_children_not_yet_reached(app, make):
    make.admin(username="boss")
    village = make.village("shuangshipu", name_zh="覆盖村", name_en="Coverage Village")
    reached, missed = make.child(village.id, name="已覆盖"), make.child(village.id, name="未覆盖")
    lecture = held(
        app,
        "youth-league",
        at(date(2026, 5, 20), 9),
        at(date(2026, 5, 20), 10),
        kind=ActivityKind.SAFETY_VILLAGE,
        topics=[SafetyTopic.DROWNING],
    )
    held(
        app,
        "youth-league",
        at(date(2026, 8, 20), 9),
        at(date(2026, 8, 20), 10),
        kind=ActivityKind.SAFETY_VILLAGE,
        topics=[SafetyTopic.DROWNING],
    )  # after the date: does not count
    with app.app_context():
        db.session.add(Attendance(activity_id=lecture, child_id=reached.id, marked_by_id=make.user().id))
        db.session.commit()
    director = Auth(app.test_client())
    director.login(make.user(Role.CHILD_DIRECTOR, villages=[village.id]).username)
    page = html.unescape(
        director.client.get("/reports/safety-coverage?topic=drowning&until=2026-07-01&lang=en").get_data(as_text=True)
    )
    assert "1 / 2" in page and "(your villages)" in page  # the total is only theirs
    # The child not yet reached is named, with a link to their file; the one reached is not in that list.
    not_reached = re.search(r"Not yet reached: (.*?)</span>", page, re.S).group(1)
    assert f'<a href="/children/{missed.id}">未覆盖</a>' in not_reached and "已覆盖" not in not_reached
    assert f"/children/{reached.id}" not in not_reached
    county = Auth(app.test_client())
    county.login("boss")
    page = html.unescape(
        county.client.get("/reports/safety-coverage?topic=drowning&until=2026-07-01&lang=en").get_data(as_text=True)
    )
    assert "Coverage Village" in page and "1 / 2" in page and "未覆盖" not in page and "(your villages)" not in page
    assert "Not yet reached" not in page and f"/children/{missed.id}" not in page  # the county sees counts only


def test_coverage_is_closed_to_volunteers_and_coordinators(app, make):
    for role, extra in ((Role.VOLUNTEER, {}), (Role.COORDINATOR, {"organization": "youth-league"})):
        auth = Auth(app.test_client())
        auth.login(make.user(role, **extra).username)
        assert auth.client.get("/reports/safety-coverage").status_code == 403
