"""Worklists: every role's home page starts with what needs them, in their own scope, at a bounded cost."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus
from app.auth.models import Role, User
from app.childcare.ages import years_before
from app.childcare.attendance import mark_attendance
from app.childcare.models import Child, ChildStatus, ProblemSource, ProblemStatus, Visit, VisitKind, VisitPolicy
from app.childcare.services import raise_problem, today
from app.extensions import db
from app.mentoring.models import ConsentMethod, Pairing, PairingKind, PairingProposal, ProposalStatus
from app.mentoring.services import end_pairings_of_deleted_mentor
from tests.conftest import Auth, csrf_token


def logged_in(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def page(auth: Auth, path: str = "/") -> str:
    response = auth.client.get(f"{path}{'&' if '?' in path else '?'}lang=en")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def section(text: str, section_id: str) -> str:
    """The HTML of one ``<section id=...>`` of a page ('' when the page has none)."""
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', text, re.S)
    return match.group(0) if match else ""


def problem(app, child, by, text: str, *, days_ago: int = 0, status=ProblemStatus.OPEN, **source) -> int:
    """A problem raised on ``child``'s file by ``by`` through the service every entry point uses."""
    with app.test_request_context():
        row = raise_problem(
            db.session.get(Child, child.id),
            description=text,
            found_on=today() - timedelta(days=days_ago),
            by=db.session.get(User, by.id),
            **source,
        )
        row.status = status
        db.session.commit()
        return row.id


def test_directors_home_starts_with_problems_raised_by_others_saying_where_each_came_from(app, make):
    village, elsewhere = make.village(), make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    mentor = make.user()
    child = make.child(village.id, name="李小红")
    other = make.child(elsewhere.id, name="别村孩子")
    camp = make.activity("youth-league", days_ahead=-1, title="暑期安全营")
    with app.test_request_context():
        mark_attendance(
            db.session.get(Activity, camp.id),
            db.session.get(Child, child.id),
            by=db.session.get(User, coordinator.id),
            concern="手臂有淤青",
        )
        db.session.commit()
    problem(app, child, mentor, "最近情绪低落", days_ago=2, source=ProblemSource.MENTORING)
    problem(app, child, supervisor, "监护人联系不上", days_ago=3)
    problem(app, child, director, "冬季取暖不足", days_ago=1)
    problem(app, child, supervisor, "已经解决的事", days_ago=9, status=ProblemStatus.RESOLVED)
    problem(app, other, supervisor, "别村的问题", days_ago=2)

    text = page(logged_in(app, director))
    raised, own = section(text, "problems-raised"), section(text, "problems-own")
    assert "Problems raised by others on your files (3)" in raised
    assert "Concern noted at activity “暑期安全营”" in raised and "手臂有淤青" in raised
    assert "Raised by a mentor" in raised and "最近情绪低落" in raised
    assert "Raised by the town supervisor" in raised and "监护人联系不上" in raised
    assert "李小红" in raised and f'href="/children/{child.id}"' in raised  # their own child: the full name
    assert "冬季取暖不足" not in raised and "Your open problems (1)" in own and "冬季取暖不足" in own
    assert "已经解决的事" not in text and "别村" not in text  # resolved, and another director's village
    # What needs them first, in order: problems raised, visits, then their own problems; the menu below.
    positions = [text.index(f'id="{name}"') for name in ("problems-raised", "visits-due", "problems-own", "menu")]
    assert positions == sorted(positions)


def test_long_problem_lists_are_capped_with_a_page_of_them_all(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    children = [make.child(village.id, name=f"孩子{n:02d}") for n in range(12)]
    for n, child in enumerate(children):
        problem(app, child, supervisor, f"问题{n:02d}", days_ago=n)
    auth = logged_in(app, director)
    raised = section(page(auth), "problems-raised")
    assert raised.count('class="work-item"') == 3 and "See all 12" in raised  # the home page: the first three
    assert "问题11" in raised and "问题09" in raised and "问题08" not in raised  # the longest waiting first
    full = page(auth, "/worklist/problems")
    assert full.count('class="row problem"') == 12 and "问题00" in full
    assert page(auth, "/worklist/problems?page=abc").count('class="row problem"') == 12  # bad page: the first
    assert page(auth, "/worklist/problems?page=99999999999999999999999").count('class="row problem"') == 12
    assert page(auth, "/worklist/problems/mine").count('class="row problem"') == 0


def test_the_directors_home_page_costs_the_same_whatever_the_number_of_problems(app, make, count_queries):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    child = make.child(village.id, name="第一个")
    problem(app, child, supervisor, "第一个问题")
    problem(app, child, director, "自己的第一个问题")
    auth = logged_in(app, director)
    page(auth)
    with count_queries() as few:
        page(auth)
    for n in range(6):
        other = make.child(village.id, name=f"又一个{n}")
        activity = make.activity("youth-league", days_ahead=-1)
        coordinator, mentor = make.user(Role.COORDINATOR, organization="youth-league"), make.user()
        with app.test_request_context():
            mark_attendance(
                db.session.get(Activity, activity.id),
                db.session.get(Child, other.id),
                by=db.session.get(User, coordinator.id),
                concern=f"担心{n}",
            )
            db.session.commit()
        problem(app, other, mentor, f"导师担心{n}", source=ProblemSource.MENTORING)
        problem(app, other, director, f"自己记录{n}")
    with count_queries() as many:
        text = page(auth)
    assert "Problems raised by others on your files (13)" in text and "Your open problems (7)" in text
    assert "Concern noted at activity" in text and "Raised by a mentor" in text
    assert many.n == few.n


def test_visits_overdue_come_before_visits_due_soon(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    late = make.child(village.id, name="逾期孩子", on_record_since=today() - timedelta(days=100))
    make.child(village.id, name="新建档孩子")  # on record since today, never visited: due within the week
    with app.app_context():
        for kind, days_ago in ((VisitKind.HOME, 70), (VisitKind.PHONE, 0)):
            db.session.add(
                Visit(child_id=late.id, kind=kind, visited_on=today() - timedelta(days=days_ago), author_id=director.id)
            )
        db.session.commit()
    visits = section(page(logged_in(app, director)), "visits-due")
    assert "Visits due (2)" in visits and "Overdue (1)" in visits and "Due within a week (1)" in visits
    assert visits.index("逾期孩子") < visits.index("Due within a week") < visits.index("新建档孩子")
    assert re.search(r"逾期孩子</strong>\s*<span class=\"tag\">\d+ days overdue", visits)


def test_files_at_their_age_limit_wait_on_the_directors_list_and_nothing_closes(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    day = today()
    make.child(village.id, name="十六岁留守", birth=years_before(day, 16), categories=["left_behind"])
    make.child(village.id, name="十七岁孤儿", birth=years_before(day, 17), categories=["orphan"])
    make.child(village.id, name="十八岁困境", birth=years_before(day, 18), categories=["left_behind", "orphan"])
    make.child(village.id, name="已关闭", birth=years_before(day, 18), status=ChildStatus.CLOSED)
    make.child(make.village().id, name="别村十八岁", birth=years_before(day, 18))
    auth = logged_in(app, director)
    listed = section(page(auth), "age-limit")
    assert "Files at their age limit (2)" in listed
    assert "十六岁留守" in listed and "Aged 16: the limit is 16" in listed
    assert "十八岁困境" in listed and "Aged 18: the limit is 18" in listed
    assert "十七岁孤儿" not in listed and "已关闭" not in listed and "别村" not in listed
    assert "十六岁留守" in page(auth, "/worklist/age-limit")
    with app.app_context():
        assert db.session.scalar(select(Child.status).where(Child.name == "十六岁留守")) == ChildStatus.ACTIVE


def test_a_problem_left_unresolved_past_the_escalation_days_reaches_the_town_supervisor(app, make):
    village = make.village("shuangshipu")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    child = make.child(village.id, name="张小明")
    elsewhere = make.child(make.village("fengzhou").id, name="凤州孩子")
    problem(app, child, director, "八天未处理", days_ago=8)
    problem(app, child, director, "七天未处理", days_ago=7)
    problem(app, child, director, "二十天处理中", days_ago=20, status=ProblemStatus.IN_HAND)
    problem(app, child, director, "早已解决", days_ago=30, status=ProblemStatus.RESOLVED)
    problem(app, elsewhere, director, "别镇的问题", days_ago=20)
    auth = logged_in(app, supervisor)
    escalated = section(page(auth), "escalated")
    assert "Problems unresolved for more than 7 days (2)" in escalated
    assert escalated.index("二十天处理中") < escalated.index("八天未处理")  # oldest first
    assert "20 days open" in escalated and "张小明" in escalated and f'href="/children/{child.id}"' in escalated
    assert "Raised by the child director" in escalated
    assert "七天未处理" not in escalated and "早已解决" not in escalated and "别镇" not in escalated
    with app.app_context():  # the administrator shortens the setting: the 7-day-old problem escalates too
        db.session.add(VisitPolicy(contact_days=7, home_days=30, home_days_risk=14, problem_escalation_days=5))
        db.session.commit()
    escalated = section(page(auth), "escalated")
    assert "more than 5 days (3)" in escalated and "七天未处理" in escalated
    assert "别镇" not in page(auth, "/worklist/escalated?town=fengzhou")  # another town stays out of reach


def test_the_county_sees_the_escalated_count_per_town(app, make):
    director = make.user(Role.CHILD_DIRECTOR)
    admin = make.admin()
    calm = section(page(logged_in(app, admin)), "escalated-towns")
    assert "(0)" in calm and "No problem has been left unresolved that long." in calm
    for town, n in (("shuangshipu", 2), ("fengzhou", 1)):
        child = make.child(make.village(town).id, name=f"{town}孩子")
        for k in range(n):
            problem(app, child, director, f"{town}问题{k}", days_ago=10)
        problem(app, child, director, f"{town}新问题", days_ago=1)
    auth = logged_in(app, admin)
    towns = section(page(auth), "escalated-towns")
    assert "Problems unresolved for more than 7 days (3)" in towns
    assert re.search(r"Shuangshipu Town</strong> <span class=\"tag\">2</span>", towns)
    assert re.search(r"Fengzhou Town</strong> <span class=\"tag\">1</span>", towns)
    assert 'href="/worklist/escalated?town=fengzhou"' in towns
    assert re.search(r"None in:[^<]*Huangniupu Town", towns) and "Shuangshipu Town," not in towns
    one_town = page(auth, "/worklist/escalated?town=fengzhou")
    assert "fengzhou问题0" in one_town and "shuangshipu问题0" not in one_town and "新问题" not in one_town
    unknown = page(auth, "/worklist/escalated?town=nowhere")
    assert "There is no such town: showing the whole county." in unknown and "shuangshipu问题1" in unknown


def test_a_coordinator_closes_an_ended_activity_with_one_tap(app, make):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    ended = make.activity("youth-league", days_ahead=-2, title="已结束的活动")
    make.activity("youth-league", days_ahead=3, title="还没开始的活动")
    make.activity("police", days_ahead=-2, title="别的单位的活动")
    auth = logged_in(app, coordinator)
    listed = section(page(auth), "ended-activities")
    assert "Activities to close (1)" in listed and "已结束的活动" in listed
    assert "还没开始" not in listed and "别的单位" not in listed
    form = f'action="/manage/activities/{ended.id}/complete"'
    assert form in listed and 'name="csrf_token"' in listed
    response = auth.client.post(f"/manage/activities/{ended.id}/complete", data={"csrf_token": csrf_token(auth.client)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Activity, ended.id).status == ActivityStatus.COMPLETED
    assert 'id="ended-activities"' not in page(auth)
    assert "已结束的活动" not in page(auth, "/worklist/activities")


def test_a_coordinator_is_told_of_pairings_ended_by_a_deleted_account_until_noted(app, make):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    mentor = make.user(organization="youth-league")
    village = make.village()
    child = make.child(village.id, name="王小明")
    theirs = make.child(village.id, name="赵大力")
    youth, police = coordinator.organization_id, make.user(Role.COORDINATOR, organization="police").organization_id
    with app.test_request_context():
        for kid, organization in ((child, youth), (theirs, police)):
            db.session.add(
                Pairing(
                    child_id=kid.id,
                    mentor_id=mentor.id,
                    organization_id=organization,
                    kind=PairingKind.COMPANION,
                    started_on=today() - timedelta(days=60),
                    consent_by="王奶奶",
                    consent_on=today() - timedelta(days=60),
                    consent_method=ConsentMethod.WRITTEN,
                    created_by_id=coordinator.id,
                )
            )
        db.session.flush()
        end_pairings_of_deleted_mentor(db.session.get(User, mentor.id))
        db.session.commit()
        pairing_id = db.session.scalar(select(Pairing.id).where(Pairing.child_id == child.id))
    auth = logged_in(app, coordinator)
    listed = section(page(auth), "ended-pairings")
    assert "The mentor’s account was deleted: the pairing with 王*明 has ended." in listed
    assert "王小明" not in listed and "赵" not in listed  # masked, and only their organization's
    response = auth.client.post(
        f"/mentoring/manage/{pairing_id}/noted", data={"csrf_token": csrf_token(auth.client), "next": "/"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(Pairing, pairing_id).end_noted_at is not None
    assert 'id="ended-pairings"' not in page(auth)


def test_a_coordinator_sees_how_many_children_are_proposed_for_a_mentor(app, make):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    director = make.user(Role.CHILD_DIRECTOR)
    village = make.village()
    youth, police = coordinator.organization_id, make.user(Role.COORDINATOR, organization="police").organization_id
    proposed = [
        (youth, ProposalStatus.OPEN),
        (youth, ProposalStatus.OPEN),
        (youth, ProposalStatus.WITHDRAWN),
        (police, ProposalStatus.OPEN),
    ]
    children = [make.child(village.id, name=f"提议{n}") for n in range(len(proposed))]
    with app.app_context():
        for child, (organization, status) in zip(children, proposed, strict=True):
            db.session.add(
                PairingProposal(
                    child_id=child.id,
                    organization_id=organization,
                    kind=PairingKind.ACADEMIC,
                    status=status,
                    proposed_by_id=director.id,
                )
            )
        db.session.commit()
    proposals = section(page(logged_in(app, coordinator)), "proposals")
    assert "Children proposed for a mentor (2)" in proposals and 'href="/mentoring/proposals"' in proposals
    assert "提议" not in proposals  # the proposals page shows them, masked


def test_worklists_are_only_for_those_who_act_on_them(app, make):
    volunteer = logged_in(app, make.user())
    assert 'id="problems-raised"' not in page(volunteer) and 'id="escalated' not in page(volunteer)
    cases = [
        (
            make.user(),
            ["/worklist/problems", "/worklist/escalated", "/worklist/activities", "/worklist/age-limit"],
        ),
        (make.user(Role.COORDINATOR, organization="youth-league"), ["/worklist/problems/mine", "/worklist/escalated"]),
        (make.user(Role.TOWN_SUPERVISOR, town="shuangshipu"), ["/worklist/problems", "/worklist/activities"]),
        (make.user(Role.CHILD_DIRECTOR), ["/worklist/escalated", "/worklist/activities"]),
    ]
    for user, paths in cases:
        auth = logged_in(app, user)
        for path in paths:
            assert auth.client.get(path).status_code == 403, (user.role, path)
    assert Auth(app.test_client()).client.get("/worklist/escalated").status_code == 302  # to the login page


def test_the_coordinators_home_page_costs_the_same_whatever_the_number_of_rows(app, make, count_queries):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    village = make.village()

    def ended_pairing(n: int) -> None:
        mentor, child = make.user(organization="youth-league"), make.child(village.id, name=f"结对{n}")
        with app.test_request_context():
            db.session.add(
                Pairing(
                    child_id=child.id,
                    mentor_id=mentor.id,
                    organization_id=coordinator.organization_id,
                    kind=PairingKind.ACADEMIC,
                    started_on=today() - timedelta(days=30),
                    consent_by="家长",
                    consent_on=today() - timedelta(days=30),
                    consent_method=ConsentMethod.IN_PERSON,
                    created_by_id=coordinator.id,
                )
            )
            db.session.flush()
            end_pairings_of_deleted_mentor(db.session.get(User, mentor.id))
            db.session.commit()

    make.activity("youth-league", days_ahead=-1)
    ended_pairing(0)
    auth = logged_in(app, coordinator)
    page(auth)
    with count_queries() as few:
        page(auth)
    for n in range(1, 6):
        make.activity("youth-league", days_ahead=-n - 1, town="fengzhou" if n % 2 else "shuangshipu")
        ended_pairing(n)
    with count_queries() as many:
        text = page(auth)
    assert "Activities to close (6)" in text and "Pairings ended by a deleted account (6)" in text
    assert many.n == few.n
