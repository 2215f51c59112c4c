"""R3 visit rules: the due list (overdue first), today's compliance per village and town, and the visit policy.

Due dates follow the calendar windows of ``app.childcare.visits``: an ordinary child's next contact is due by the
end of the week after the last one, the next home visit by the end of the month after it; with a risk flag, by the
end of the next part of the week (Monday–Wednesday, Thursday–Sunday) or month (1st–14th, 15th–end). The dates
below are fixed (Wednesday 12 March 2025 is "today") so every case reads on its own.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import Child, Visit, VisitKind, VisitPolicy
from app.childcare.services import today
from app.childcare.visits import Policy, PolicyError, compliance_by, overdue_or_due_soon, set_visit_policy, visits_due
from app.extensions import db
from tests.conftest import Auth

TODAY = date(2025, 3, 12)  # a Wednesday
SINCE = date(2025, 1, 1)


def add_visit(app, child_id: int, author_id: int, day: date | int, kind: VisitKind) -> None:
    """A visit on ``day`` (a date, or so many days before today)."""
    with app.app_context():
        visited_on = day if isinstance(day, date) else today() - timedelta(days=day)
        db.session.add(Visit(child_id=child_id, kind=kind, visited_on=visited_on, findings="好", author_id=author_id))
        db.session.commit()


def due_dates(app) -> dict[str, tuple[date, date]]:
    with app.test_request_context():
        return {d.child.name: (d.contact_due, d.home_due) for d in visits_due(select(Child))}


def test_due_list_puts_the_most_overdue_first(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    late = make.child(village.id, name="很久没联系", on_record_since=SINCE)
    add_visit(app, late.id, director.id, date(2025, 1, 20), VisitKind.HOME)  # contact due Sun 2 Feb: 38 days ago
    mild = make.child(village.id, name="联系已到期", on_record_since=SINCE)
    add_visit(app, mild.id, director.id, date(2025, 3, 1), VisitKind.HOME)  # its week ended 2 Mar: due Sun 9 Mar
    soon = make.child(village.id, name="上周电话", on_record_since=SINCE)
    add_visit(app, soon.id, director.id, date(2025, 3, 3), VisitKind.HOME)
    add_visit(app, soon.id, director.id, date(2025, 3, 5), VisitKind.PHONE)  # last week: due this Sunday, 16 Mar
    done = make.child(village.id, name="本周已联系", on_record_since=SINCE)
    add_visit(app, done.id, director.id, date(2025, 3, 3), VisitKind.HOME)
    add_visit(app, done.id, director.id, date(2025, 3, 10), VisitKind.PHONE)  # this week: due 23 Mar, not listed
    with app.test_request_context():
        due = overdue_or_due_soon(select(Child), TODAY)
    assert [(d.child.name, d.days_left(TODAY), d.is_overdue(TODAY)) for d in due] == [
        ("很久没联系", -38, True),
        ("联系已到期", -3, True),
        ("上周电话", 4, False),
    ]


def test_a_risk_flag_asks_for_each_part_of_the_week_and_month(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    plain = make.child(village.id, name="普通", on_record_since=SINCE)
    risky = make.child(village.id, name="重点", risk_flags=["behaviour"], on_record_since=SINCE)
    for child in (plain, risky):
        add_visit(app, child.id, director.id, date(2025, 2, 20), VisitKind.HOME)  # 15th–end of February
        add_visit(app, child.id, director.id, date(2025, 3, 11), VisitKind.PHONE)  # Tuesday: Monday–Wednesday
    assert due_dates(app) == {
        "普通": (date(2025, 3, 23), date(2025, 3, 31)),  # the end of next week; of March
        "重点": (date(2025, 3, 16), date(2025, 3, 14)),  # Thursday–Sunday of this week; 1st–14th of March
    }
    with app.test_request_context():
        due = {
            d.child.name: (d.days_left(TODAY), d.home_visit_first)
            for d in overdue_or_due_soon(select(Child), TODAY, 30)
        }
    assert due == {"普通": (11, False), "重点": (2, True)}


def test_a_new_file_is_due_by_the_end_of_the_window_it_came_on_record_in(app, make):
    """On record since Thursday 6 March 2025. A survey visit earlier in the same week and month counts; one in an
    earlier window does not."""
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    since = date(2025, 3, 6)
    make.child(village.id, name="新档", on_record_since=since)
    make.child(village.id, name="新档重点", on_record_since=since, risk_flags=["child_disability"])
    surveyed = make.child(village.id, name="建档前走访", on_record_since=since)
    add_visit(app, surveyed.id, director.id, date(2025, 3, 3), VisitKind.HOME)
    earlier = make.child(village.id, name="更早走访", on_record_since=since)
    add_visit(app, earlier.id, director.id, date(2025, 2, 20), VisitKind.HOME)
    assert due_dates(app) == {
        "新档": (date(2025, 3, 9), date(2025, 3, 31)),
        "新档重点": (date(2025, 3, 9), date(2025, 3, 14)),
        "建档前走访": (date(2025, 3, 16), date(2025, 4, 30)),
        "更早走访": (date(2025, 3, 9), date(2025, 3, 31)),
    }


def test_directors_home_page_lists_visits_due(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    make.child(village.id, name="待走访儿童")  # on record today, never contacted: due by Sunday
    make.child(make.village().id, name="别村儿童")
    auth = Auth(app.test_client())
    auth.login(director.username)
    page = auth.client.get("/?lang=en").get_data(as_text=True)
    assert "Visits due (1)" in page and "待走访儿童" in page and "别村儿童" not in page
    listing = auth.client.get("/children/visits-due?lang=en").get_data(as_text=True)
    assert "待走访儿童" in listing and "Contact due" in listing


def test_compliance_per_village_for_the_supervisor(app, make):
    home, other = make.village(name_zh="甲村"), make.village(name_zh="乙村")
    director = make.user(Role.CHILD_DIRECTOR, villages=[home.id, other.id])
    ok = make.child(home.id)
    add_visit(app, ok.id, director.id, 1, VisitKind.HOME)
    ten_days_ago = today() - timedelta(days=10)
    make.child(home.id, on_record_since=ten_days_ago)  # its week has ended without a contact: overdue
    make.child(other.id, risk_flags=["child_disability"], on_record_since=ten_days_ago)
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


POLICY = {
    "contact_days": "7",
    "home_days": "30",
    "contact_days_risk": "3",
    "home_days_risk": "14",
    "problem_escalation_days": "7",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contact_days": "0"}, "Between 1 and 7 days."),
        ({"contact_days": "14"}, "Between 1 and 7 days."),  # the plan asks for a contact every week at least
        ({"home_days": "45"}, "Between 1 and 31 days."),
        ({"problem_escalation_days": "91"}, "Between 1 and 90 days."),
        ({"home_days_risk": ""}, "Please enter a number of days."),
        (
            {"contact_days": "5", "contact_days_risk": "6"},
            "With a risk flag a child is contacted more often: at most 5",
        ),
        ({"home_days": "20", "home_days_risk": "25"}, "With a risk flag the home is visited more often: at most 20"),
    ],
)
def test_the_visit_policy_refuses_bad_values_and_saves_nothing(app, make, changes, message):
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    response = admin.post("/children/policy?lang=en", {**POLICY, **changes})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(VisitPolicy.id))) == 0
        assert (
            db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "settings.visit_policy"))
            == 0
        )


def test_admin_changes_the_visit_policy_and_due_dates_follow(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, name="政策", on_record_since=SINCE)
    add_visit(app, child.id, director.id, date(2025, 3, 11), VisitKind.HOME)  # a Tuesday
    assert due_dates(app) == {"政策": (date(2025, 3, 23), date(2025, 4, 30))}
    admin_user = make.admin()
    admin = Auth(app.test_client())
    admin.login(admin_user.username)
    page = admin.client.get("/children/policy").get_data(as_text=True)
    assert 'name="contact_days_risk"' in page and 'value="3"' in page and 'name="problem_escalation_days"' in page
    new = {**POLICY, "contact_days": "3", "contact_days_risk": "2", "home_days": "15", "problem_escalation_days": "5"}
    response = admin.post("/children/policy?lang=en", new, follow_redirects=True)
    assert "The visit policy has been saved." in response.get_data(as_text=True)
    # Contacts every 3 days: Monday–Wednesday, Thursday–Sunday; home visits every 15: 1st–15th, 16th–end.
    assert due_dates(app) == {"政策": (date(2025, 3, 16), date(2025, 3, 31))}
    with app.test_request_context():
        from app.childcare.visits import current_policy

        assert current_policy() == Policy(3, 15, 2, 14, 5)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.visit_policy"))
        assert entry.actor_id == admin_user.id
        assert entry.detail["changes"] == {
            "contact_days": [7, 3],
            "home_days": [30, 15],
            "contact_days_risk": [3, 2],
            "problem_escalation_days": [7, 5],
        }
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    assert supervisor.client.get("/children/policy").status_code == 403
    assert supervisor.post("/children/policy", new).status_code == 403


def test_set_visit_policy_refuses_a_risk_interval_longer_than_the_ordinary_one(app, make):
    admin = make.admin()
    with app.test_request_context():
        with pytest.raises(PolicyError) as refused:
            set_visit_policy(Policy(7, 30, 3, 31, 7), by=admin)
        assert (refused.value.code, refused.value.field) == ("risk_home_longer", "home_days_risk")
        with pytest.raises(PolicyError) as refused:
            set_visit_policy(Policy(7, 30, 3, 14, 0), by=admin)
        assert (refused.value.code, refused.value.field) == ("out_of_range", "problem_escalation_days")
        assert db.session.scalar(select(func.count(VisitPolicy.id))) == 0


def test_compliance_counts_equal_the_due_dates_child_by_child(app, make):
    """The aggregate query against ``visits_due`` (the director's own list) on random children and visits."""
    import random

    rng = random.Random(8)
    villages = [make.village(name_zh=f"随机村{n}") for n in range(3)]
    director = make.user(Role.CHILD_DIRECTOR, villages=[v.id for v in villages])
    children = [
        make.child(
            rng.choice(villages).id,
            risk_flags=["behaviour"] if rng.random() < 0.3 else [],
            on_record_since=today() - timedelta(days=rng.choice([0, 1, 5, 9, 16, 40, 400])),
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
