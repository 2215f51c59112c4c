"""Attendance at activities goes into each child's file; names are masked outside the file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.attendance import missed_last_three
from app.childcare.models import ActivityRegistration, Attendance, Problem
from app.extensions import db
from tests.conftest import Auth


def started(app, activity_id: int) -> None:
    """Move the activity's shifts into the past: attendance is marked once it has started."""
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        for shift in activity.shifts:
            shift.starts_at -= timedelta(days=10)
            shift.ends_at -= timedelta(days=10)
        activity.starts_at = min(s.starts_at for s in activity.shifts)
        activity.ends_at = max(s.ends_at for s in activity.shifts)
        db.session.commit()


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def test_coordinator_marks_attendance_and_it_shows_on_the_childs_file(app, make):
    village = make.village("shuangshipu")
    child = make.child(village.id, name="张小明")
    activity = make.activity("youth-league", town="shuangshipu")
    started(app, activity.id)
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    page = coordinator.client.get(f"/children/activity/{activity.id}?q=小明").get_data(as_text=True)
    assert "张*明" in page and "张小明" not in page  # masked outside the file
    response = coordinator.post(
        f"/children/activity/{activity.id}", {"action": "attend", "child_id": child.id, "concern": "手臂有淤青"}
    )
    assert response.status_code == 302
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    file_page = director.client.get(f"/children/{child.id}?lang=en").get_data(as_text=True)
    assert "Attended an activity" in file_page and activity.title in file_page
    with app.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.child_id == child.id))
        assert "手臂有淤青" in problem.description
    assert coordinator.client.get(f"/children/{child.id}").status_code == 403  # still never opens the file


def test_marking_twice_records_once_and_removal_is_audited(app, make):
    village = make.village("shuangshipu")
    child = make.child(village.id)
    activity = make.activity("youth-league", town="shuangshipu")
    started(app, activity.id)
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    for _ in range(2):
        coordinator.post(f"/children/activity/{activity.id}", {"action": "attend", "child_id": child.id})
    with app.app_context():
        attendance_id = db.session.scalar(select(Attendance.id))
        assert db.session.query(Attendance).count() == 1
    coordinator.post(f"/children/activity/{activity.id}", {"action": "remove", "attendance_id": attendance_id})
    with app.app_context():
        assert db.session.query(Attendance).count() == 0
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.attendance_removed"))


def test_attendance_needs_a_started_activity_and_a_child_of_its_town(app, make):
    here, there = make.village("shuangshipu"), make.village("hekou")
    local, stranger = make.child(here.id), make.child(there.id)
    activity = make.activity("youth-league", town="shuangshipu")
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    coordinator.post(f"/children/activity/{activity.id}", {"action": "attend", "child_id": local.id})
    started(app, activity.id)
    coordinator.post(f"/children/activity/{activity.id}", {"action": "attend", "child_id": stranger.id})
    with app.app_context():
        assert db.session.query(Attendance).count() == 0


def test_other_organizations_and_volunteers_cannot_mark(app, make):
    activity = make.activity("youth-league", town="shuangshipu")
    other = login(app, make.user(Role.COORDINATOR, organization="womens-federation"))
    assert other.client.get(f"/children/activity/{activity.id}").status_code == 403
    volunteer = login(app, make.user())
    assert volunteer.client.get(f"/children/activity/{activity.id}").status_code == 403


def test_director_registers_children_within_the_expected_number(app, make):
    village = make.village("shuangshipu")
    first, second = make.child(village.id, name="甲"), make.child(village.id, name="乙")
    other_child = make.child(make.village("shuangshipu").id, name="外村")
    activity = make.activity("youth-league", town="shuangshipu")
    with app.app_context():
        db.session.get(Activity, activity.id).expected_children = 1
        db.session.commit()
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    for child in (first, second, other_child):
        director.post(f"/children/activity/{activity.id}", {"action": "register", "child_id": child.id})
    with app.app_context():
        assert db.session.scalars(select(ActivityRegistration.child_id)).all() == [first.id]


def test_child_who_missed_the_last_three_registered_activities_is_flagged(app, make):
    village = make.village("shuangshipu")
    child = make.child(village.id, name="缺席")
    director_user = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    director = login(app, director_user)
    for _ in range(3):
        activity = make.activity("youth-league", town="shuangshipu")
        director.post(f"/children/activity/{activity.id}", {"action": "register", "child_id": child.id})
        started(app, activity.id)
    with app.app_context():
        assert missed_last_three([child.id]) == {child.id}
    page = director.client.get("/children/?lang=en").get_data(as_text=True)
    assert "Missed the last three activities" in page


def test_an_activity_without_a_town_offers_only_its_registered_children(app, make):
    """No county-wide name search: a one-character surname lists nothing outside the registered children, and a
    direct POST for any other child writes nothing."""
    home, far = make.village("shuangshipu"), make.village("hekou")
    registered = make.child(home.id, name="王小红")
    others = [make.child(home.id, name="王大明"), make.child(far.id, name="王家伟")]
    activity = make.activity("youth-league", town=None)
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[home.id]))
    director.post(f"/children/activity/{activity.id}", {"action": "register", "child_id": registered.id})
    started(app, activity.id)
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    page = coordinator.client.get(f"/children/activity/{activity.id}?q=王&lang=en").get_data(as_text=True)
    assert "王*红" in page and "王*明" not in page and "王*伟" not in page
    assert 'name="q"' not in page
    for child in others:
        response = coordinator.post(
            f"/children/activity/{activity.id}?lang=en", {"action": "attend", "child_id": child.id}
        )
        assert response.status_code == 302
    coordinator.post(f"/children/activity/{activity.id}", {"action": "attend", "child_id": registered.id})
    with app.app_context():
        assert db.session.scalars(select(Attendance.child_id)).all() == [registered.id]
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.searched")) is None


def test_a_town_activity_searches_only_its_town_and_village_and_is_audited(app, make):
    village, neighbour, far = make.village("shuangshipu"), make.village("shuangshipu"), make.village("hekou")
    make.child(village.id, name="李小明")
    make.child(neighbour.id, name="李大明")
    stranger = make.child(far.id, name="李明明")
    activity = make.activity("youth-league", town="shuangshipu")
    started(app, activity.id)
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))
    page = coordinator.client.get(f"/children/activity/{activity.id}?q=李").get_data(as_text=True)
    assert "李*明" in page and page.count("李*明") == 2  # both of the town, not the one of Hekou
    with app.app_context():
        db.session.get(Activity, activity.id).village_id = village.id
        db.session.commit()
    page = coordinator.client.get(f"/children/activity/{activity.id}?q=李").get_data(as_text=True)
    assert page.count("李*明") == 1
    coordinator.post(f"/children/activity/{activity.id}", {"action": "attend", "child_id": stranger.id})
    with app.app_context():
        assert db.session.query(Attendance).count() == 0
        searches = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "child.searched")).all()
        assert [(e.detail["q"], e.detail["where"], e.detail["activity"]) for e in searches] == [
            ("李", "activity", activity.id),
            ("李", "activity", activity.id),
        ]


def test_marking_attendance_refuses_a_child_outside_the_activitys_pool(app, make):
    from app.auth.models import User
    from app.childcare.attendance import mark_attendance
    from app.childcare.models import Child
    from app.childcare.services import ChildError

    activity = make.activity("youth-league", town=None)
    started(app, activity.id)
    child_id = make.child(make.village("hekou").id).id
    coordinator_id = make.user(Role.COORDINATOR, organization="youth-league").id
    with app.test_request_context():
        with pytest.raises(ChildError) as refused:
            mark_attendance(
                db.session.get(Activity, activity.id),
                db.session.get(Child, child_id),
                by=db.session.get(User, coordinator_id),
            )
        assert refused.value.code == "not_in_pool"
        assert db.session.query(Attendance).count() == 0


@pytest.mark.parametrize("posted", [{"action": "register"}, {"action": "register", "child_id": ""}])
def test_a_registration_without_a_child_is_a_404(app, make, posted):
    """Found by the form fuzz (tests/test_fuzz_forms.py): an empty child id was looked up as a NULL key."""
    village = make.village("shuangshipu")
    make.child(village.id)
    activity = make.activity("youth-league", town="shuangshipu")
    director = login(app, make.user(Role.CHILD_DIRECTOR, villages=[village.id]))
    assert director.post(f"/children/activity/{activity.id}", posted).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ActivityRegistration.id))) == 0
