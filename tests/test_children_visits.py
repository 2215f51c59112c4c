"""R3 visit rules: who is overdue or due this week, most urgent first, and compliance per village and town."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.childcare.models import Child, Visit, VisitKind
from app.childcare.services import today
from app.childcare.visits import compliance_by, overdue_or_due_soon
from app.db_types import utcnow
from app.extensions import db
from app.timeutils import local_to_utc
from tests.conftest import Auth


def add_visit(app, child_id: int, author_id: int, days_ago: int, kind: VisitKind) -> None:
    with app.app_context():
        db.session.add(
            Visit(
                child_id=child_id,
                kind=kind,
                visited_on=today() - timedelta(days=days_ago),
                findings="好",
                author_id=author_id,
            )
        )
        db.session.commit()


def test_due_list_puts_the_most_overdue_first(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    late = make.child(village.id, name="很久没联系")  # home visit 40 days ago: 10 days overdue (and contact 33)
    add_visit(app, late.id, director.id, 40, VisitKind.HOME)
    mild = make.child(village.id, name="联系已到期")  # home visit 10 days ago: contact due 3 days ago
    add_visit(app, mild.id, director.id, 10, VisitKind.HOME)
    fine = make.child(village.id, name="刚走访过")  # home visit today: next contact in 7 days (still listed)
    add_visit(app, fine.id, director.id, 0, VisitKind.HOME)
    far = make.child(village.id, name="上周电话")  # phone 1 day ago, home 5 days ago: due in 6 days
    add_visit(app, far.id, director.id, 5, VisitKind.HOME)
    add_visit(app, far.id, director.id, 1, VisitKind.PHONE)
    with app.test_request_context():
        due = overdue_or_due_soon(select(Child), today())
        names = [d.child.name for d in due]
        lefts = [d.days_left(today()) for d in due]
    assert names == ["很久没联系", "联系已到期", "上周电话", "刚走访过"]
    assert lefts == [-33, -3, 6, 7]


def test_risk_flag_brings_the_home_visit_forward(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    plain = make.child(village.id, name="普通")
    risky = make.child(village.id, name="重点", risk_flags=["behaviour"])
    for child in (plain, risky):
        add_visit(app, child.id, director.id, 20, VisitKind.HOME)
        add_visit(app, child.id, director.id, 0, VisitKind.PHONE)
    with app.test_request_context():
        due = {d.child.name: d.days_left(today()) for d in overdue_or_due_soon(select(Child), today(), 30)}
    assert due == {"普通": 7, "重点": -6}


def test_directors_home_page_lists_visits_due(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    make.child(village.id, name="待走访儿童")
    make.child(make.village().id, name="别村儿童")
    auth = Auth(app.test_client())
    auth.login(director.username)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "Visits due (1)" in page and "待走访儿童" in page and "别村儿童" not in page
    assert "待走访儿童" in auth.client.get("/children/visits-due").get_data(as_text=True)


def test_a_file_opened_after_midnight_in_shanghai_is_due_that_day(app, make):
    """Opened at 00:30 local time (the day before in UTC) and never visited: due today, not yet overdue."""
    village = make.village()
    opened = local_to_utc(today(), time(0, 30))
    make.child(village.id, created_at=opened)
    with app.test_request_context():
        ((row,),) = compliance_by(select(Child), today(), [("village_id", {village.id: "村"})])
        (due,) = overdue_or_due_soon(select(Child), today())
    assert (row.children, row.up_to_date) == (1, 1)
    assert due.days_left(today()) == 0


def test_compliance_per_village_for_the_supervisor(app, make):
    home, other = make.village(name_zh="甲村"), make.village(name_zh="乙村")
    director = make.user(Role.CHILD_DIRECTOR, villages=[home.id, other.id])
    ok = make.child(home.id)
    add_visit(app, ok.id, director.id, 1, VisitKind.HOME)
    make.child(home.id, created_at=utcnow() - timedelta(days=10))  # on file ten days, never visited: overdue
    make.child(other.id, risk_flags=["child_disability"], created_at=utcnow() - timedelta(days=10))
    with app.test_request_context():
        rows = {
            r.label: (r.children, r.up_to_date, r.risk_children)
            for r in compliance_by(select(Child), today(), [("village_id", {home.id: "甲村", other.id: "乙村"})])[0]
        }
    assert rows == {"甲村": (2, 1, 0), "乙村": (1, 0, 1)}
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    auth = Auth(app.test_client())
    auth.login(supervisor.username)
    page = auth.client.get("/children/compliance").get_data(as_text=True)
    assert "甲村" in page and "1 (50%)" in page
    volunteer = make.user()
    other_auth = Auth(app.test_client())
    other_auth.login(volunteer.username)
    assert other_auth.client.get("/children/compliance").status_code == 403


def test_admin_changes_the_visit_policy_and_due_dates_follow(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, name="政策")
    add_visit(app, child.id, director.id, 10, VisitKind.HOME)
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    bad = admin.post("/children/policy?lang=en", {"contact_days": "0", "home_days": "30", "home_days_risk": "14"})
    assert "Between 1 and 365" in bad.get_data(as_text=True)
    admin.post("/children/policy", {"contact_days": "14", "home_days": "30", "home_days_risk": "14"})
    with app.test_request_context():
        (due,) = overdue_or_due_soon(select(Child), today())
        assert due.days_left(today()) == 4  # contact every 14 days now: 10 days ago + 14
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    assert supervisor.client.get("/children/policy").status_code == 403


def test_compliance_counts_equal_the_due_dates_child_by_child(app, make):
    """The aggregate query against ``visits_due`` (the director's own list) on random children and visits."""
    import random

    from app.childcare.visits import visits_due

    rng = random.Random(8)
    villages = [make.village(name_zh=f"随机村{n}") for n in range(3)]
    director = make.user(Role.CHILD_DIRECTOR, villages=[v.id for v in villages])
    children = [
        make.child(
            rng.choice(villages).id,
            risk_flags=["behaviour"] if rng.random() < 0.3 else [],
            created_at=utcnow() - timedelta(days=rng.choice([0, 1, 5, 40, 400]), hours=rng.randint(0, 23)),
        )
        for _ in range(40)
    ]
    for child in children:
        for _ in range(rng.randint(0, 3)):
            add_visit(app, child.id, director.id, rng.randint(0, 60), rng.choice([VisitKind.HOME, VisitKind.PHONE]))
    with app.test_request_context():
        day = today()
        labels = {v.id: v.name_zh for v in villages}
        (rows,) = compliance_by(select(Child), day, [("village_id", labels)])
        expected: dict[str, list[int]] = {}
        for due in visits_due(select(Child)):
            line = expected.setdefault(labels[due.child.village_id], [0, 0, 0, 0])
            ok = not due.is_overdue(day)
            line[0] += 1
            line[1] += ok
            line[2] += bool(due.child.risk_flags)
            line[3] += ok and bool(due.child.risk_flags)
    assert {r.label: [r.children, r.up_to_date, r.risk_children, r.risk_up_to_date] for r in rows} == expected
    assert sum(line[1] for line in expected.values()) not in (0, 40)  # the data has both verdicts


def test_directors_of_the_same_name_keep_their_own_rows(app, make):
    from app.childcare.visits import groupings

    admin_user = make.admin()
    first, second = make.village(), make.village()
    one = make.user(Role.CHILD_DIRECTOR, villages=[first.id], name="张伟")
    two = make.user(Role.CHILD_DIRECTOR, villages=[second.id], name="张伟")
    make.child(first.id, director_id=one.id)
    make.child(second.id, director_id=two.id)
    with app.test_request_context():
        from app.auth.models import User

        _title, column, labels = groupings(db.session.get(User, admin_user.id))[1]
        (rows,) = compliance_by(select(Child), today(), [(column, labels)])
    assert column == "director_id" and [r.children for r in rows] == [1, 1]
    assert {r.label for r in rows} == {f"张伟 ({one.username})", f"张伟 ({two.username})"}
