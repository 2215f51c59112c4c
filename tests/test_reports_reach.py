"""The kept yearly counts of children reached stay equal to a live recount through every kind of change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus
from app.auth.models import Role
from app.childcare.models import Attendance
from app.directory.models import Organization, Town
from app.extensions import db
from app.reports.models import YearlyReach
from app.reports.queries import KEPT_GROUPINGS
from app.reports.reach import counted_live, recount_all
from tests.conftest import Auth


def kept(grouping: str = "organization") -> dict:
    rows = db.session.scalars(select(YearlyReach).where(YearlyReach.grouping == grouping))
    return {(r.key, r.year): r.children for r in rows}


def live(grouping: str = "organization") -> dict:
    years = (2024, 2025, 2026)
    return {(key, y): n for y in years for key, n in db.session.execute(counted_live(grouping, y)) if n}


def every_kept_figure_is_exact() -> bool:
    return all(kept(grouping) == live(grouping) for grouping in KEPT_GROUPINGS)


def org(code: str) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.code == code))


def test_every_change_is_recounted(app, make):
    village = make.village()
    children = [make.child(village.id, name=f"孩子{i}") for i in range(4)]
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    first = make.activity("youth-league").id
    second = make.activity("youth-league").id
    with app.app_context():
        a, b = db.session.get(Activity, first), db.session.get(Activity, second)
        a.starts_at = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)  # 23:30 on New Year's Eve in Feng County
        b.starts_at = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January 2026 in Feng County
        for activity, kids in ((a, children[:3]), (b, children[1:])):
            for child in kids:
                db.session.add(Attendance(activity_id=activity.id, child_id=child.id, marked_by_id=director.id))
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == {} == live()  # not held yet: nothing counts

        a.status = ActivityStatus.COMPLETED
        b.status = ActivityStatus.COMPLETED
        db.session.commit()
        league = org("youth-league").id
        assert every_kept_figure_is_exact()
        assert kept() == live() == {(league, 2025): 3, (league, 2026): 3}

        a.coorganizers.append(org("womens-federation"))  # a co-organizer counts the same children
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == live() and kept()[(org("womens-federation").id, 2025)] == 3

        attendance = db.session.scalar(select(Attendance).where(Attendance.activity_id == a.id))
        db.session.delete(attendance)  # a wrongly marked attendance removed after the event
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == live() and kept()[(league, 2025)] == 2

        a.starts_at = datetime(2026, 3, 1, 2, tzinfo=UTC)  # moved into 2026: both years recounted
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == live() and (league, 2025) not in kept() and kept()[(league, 2026)] == 3

        b.organization_id = org("education").id  # re-assigned to another body
        b.plan_tasks = [11, 13]
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept("task")[(13, 2026)] == 3 and kept("county")[(0, 2026)] == 3
        other_town = db.session.scalar(select(Town.id).where(Town.id != b.town_id).limit(1))
        b.town_id = other_town  # a town's figure moves with the activity
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept("town")[(other_town, 2026)] == 3
        assert every_kept_figure_is_exact()
        assert kept() == live() and kept()[(org("education").id, 2026)] == 3

        a.status = ActivityStatus.CANCELLED
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == live() == {(org("education").id, 2026): 3}
        b.status = ActivityStatus.CANCELLED
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == live() == {}


def test_a_full_recount_agrees_and_the_report_uses_the_kept_figure(app, make):
    """The department report for a calendar year reads the kept count; a date range of the same days counts live:
    both show the same number, and a rebuild changes nothing."""
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    children = [make.child(village.id, name=f"孩子{i}") for i in range(3)]
    activity_id = make.activity("youth-league").id
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        activity.starts_at = datetime(2025, 6, 1, 2, tzinfo=UTC)
        activity.status = ActivityStatus.COMPLETED
        for child in children:
            db.session.add(Attendance(activity_id=activity.id, child_id=child.id, marked_by_id=director.id))
        db.session.commit()
        before = kept()
        recount_all()
        db.session.commit()
        assert every_kept_figure_is_exact()
        assert kept() == before == live() == {(org("youth-league").id, 2025): 3}
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    year = admin.client.get("/reports/departments.csv?year=2025").get_data(as_text=True)
    days = admin.client.get("/reports/departments.csv?period=range&from=2025-01-01&to=2025-12-31")
    assert year.splitlines()[1:] == days.get_data(as_text=True).splitlines()[1:]
    (league,) = [line.split(",") for line in year.splitlines() if line.startswith("共青团凤县委员会,")]
    assert league[-3] == "3"
