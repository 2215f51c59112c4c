"""The file's services directly: dates that never raise (29 February), age limits, which director a file gets and
keeps, closing, file checks, and services that flush for their caller."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Role, User
from app.childcare.ages import age_limit, files_at_age_limit, years_before
from app.childcare.files import KEEP, ChildData, choose_director, close_file, save_child
from app.childcare.imports import import_children
from app.childcare.models import CheckLevel, Child, ChildStatus, CloseReason, Gender, Problem, ProblemStatus
from app.childcare.services import ChildError, record_file_check, update_problem
from app.childcare.transfer import COLUMNS
from app.directory.models import Village
from app.extensions import db
from app.permissions import can_record_check, child_scope

LEAP_DAY = date(2028, 2, 29)


def test_years_before_never_raises_on_29_february():
    assert years_before(LEAP_DAY, 18) == date(2010, 2, 28)
    assert years_before(LEAP_DAY, 4) == date(2024, 2, 29)
    assert years_before(date(2026, 12, 2), 16) == date(2010, 12, 2)


def _data(village: Village, **values) -> ChildData:
    values.setdefault("name", "闰日")
    values.setdefault("gender", Gender.FEMALE)
    values.setdefault("birth_date", date(2015, 6, 12))
    return ChildData(village=village, **values)


def test_a_file_is_created_on_29_february(app, make):
    village_id = make.village().id
    director_id = make.user(Role.CHILD_DIRECTOR, villages=[village_id]).id
    with app.test_request_context():
        village, director = db.session.get(Village, village_id), db.session.get(User, director_id)
        child = Child()
        save_child(child, _data(village), by=director, day=LEAP_DAY)
        assert child.id is not None and child.on_record_since == LEAP_DAY and child.director_id == director_id
        # Exactly 18 on the day (born 28 February 2010, 2010 has no 29th): too old for a new file; a day younger fits.
        with pytest.raises(ChildError) as refused:
            save_child(Child(), _data(village, birth_date=date(2010, 2, 28)), by=director, day=LEAP_DAY)
        assert refused.value.code == "adult"
        save_child(Child(), _data(village, name="差一天", birth_date=date(2010, 3, 1)), by=director, day=LEAP_DAY)
        db.session.rollback()


def test_an_import_runs_on_29_february(app, make):
    village = make.village(name_zh="闰日村")
    director_id = make.user(Role.CHILD_DIRECTOR, villages=[village.id]).id
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h for h, _attr in COLUMNS])
    values = {"name": "闰日", "gender": "女", "birth_date": "2012-02-29", "town": "双石铺镇", "village": "闰日村"}
    sheet.append([values.get(attr, "") for _h, attr in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with app.test_request_context():
        result = import_children(buffer.getvalue(), "x.xlsx", by=db.session.get(User, director_id), day=LEAP_DAY)
        assert (result.errors, result.created) == ([], 1)
        assert db.session.scalar(select(Child.on_record_since).where(Child.name == "闰日")) == LEAP_DAY
        db.session.rollback()


@pytest.mark.parametrize(
    ("categories", "limit"),
    [(["left_behind"], 16), (["left_behind", "orphan"], 18), (["disabled"], 18), ([], 18)],
)
def test_the_categories_decide_the_age_limit(categories, limit):
    assert age_limit(categories) == limit


def test_files_at_their_age_limit_are_listed_and_nothing_closes(app, make):
    village = make.village()
    day = LEAP_DAY
    cases = {
        "留守十六": (date(2012, 2, 29), ["left_behind"], True),  # 16 on 29 Feb 2028 itself
        "留守差一天": (date(2012, 3, 1), ["left_behind"], False),
        "困境十六": (date(2012, 2, 1), ["left_behind", "disabled"], False),  # a child in difficulty: 18
        "困境十八": (date(2010, 2, 28), ["orphan"], True),
        "无类别十七": (date(2011, 1, 1), [], False),
    }
    for name, (birth, categories, _due) in cases.items():
        make.child(village.id, name=name, birth=birth, categories=categories)
    make.child(village.id, name="已结案", birth=date(2009, 1, 1), status=ChildStatus.CLOSED)
    admin_id = make.admin().id
    with app.test_request_context():
        admin = db.session.get(User, admin_id)
        due = files_at_age_limit(child_scope(select(Child), admin), day)
        assert [c.name for c in due] == ["困境十八", "留守十六"]
        assert files_at_age_limit(child_scope(select(Child), admin), date(2028, 2, 28)) == [due[0]]
        assert all(
            c.status == ChildStatus.ACTIVE for c in db.session.scalars(select(Child).where(Child.name != "已结案"))
        )


def test_which_director_a_file_gets_and_keeps(app, make):
    village = make.village()
    other_village = make.village()
    mine = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    colleague = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    retired = make.user(Role.CHILD_DIRECTOR, villages=[village.id], is_active=False)
    elsewhere = make.user(Role.CHILD_DIRECTOR, villages=[other_village.id])
    admin = make.admin()
    child_id = make.child(village.id, director_id=retired.id).id
    with app.test_request_context():
        users = {u.id: u for u in db.session.scalars(select(User))}
        place, child = db.session.get(Village, village.id), db.session.get(Child, child_id)
        assert choose_director(Child(), place, KEEP, by=users[mine.id]) is users[mine.id]
        assert choose_director(child, place, KEEP, by=users[colleague.id]) is users[retired.id]
        assert choose_director(child, place, users[retired.id], by=users[admin.id]) is users[retired.id]  # kept
        assert choose_director(child, place, users[colleague.id], by=users[admin.id]) is users[colleague.id]
        assert choose_director(child, place, None, by=users[admin.id]) is None
        assert choose_director(Child(), place, KEEP, by=users[admin.id]) is None
        for requested, by, code in (
            (users[elsewhere.id], users[admin.id], "bad_director"),
            (users[colleague.id], users[mine.id], "director_change"),
        ):
            with pytest.raises(ChildError) as refused:
                choose_director(child, place, requested, by=by)
            assert refused.value.code == code
        new_admin_file = Child()
        save_child(new_admin_file, _data(place, name="县建"), by=users[admin.id])
        assert new_admin_file.director_id is None
        db.session.rollback()


def test_closing_flushes_and_refuses_a_closed_file(app, make):
    child_id = make.child(make.village().id).id
    admin_id = make.admin().id
    with app.test_request_context():
        child, admin = db.session.get(Child, child_id), db.session.get(User, admin_id)
        close_file(child, CloseReason.AGE_LIMIT, by=admin)
        assert child not in db.session.dirty  # flushed for the caller, not committed
        with pytest.raises(ChildError) as refused:
            close_file(child, CloseReason.OTHER, by=admin)
        assert refused.value.code == "already_closed" and child.close_reason == CloseReason.AGE_LIMIT
        db.session.rollback()


def test_updating_a_problem_flushes(app, make):
    child_id = make.child(make.village().id).id
    admin_id = make.admin().id
    with app.test_request_context():
        problem = Problem(child_id=child_id, found_on=date(2026, 1, 5), description="需要跟进", author_id=admin_id)
        db.session.add(problem)
        db.session.flush()
        update_problem(
            problem, status=ProblemStatus.IN_HAND, handler="班主任", solution="", by=db.session.get(User, admin_id)
        )
        assert problem not in db.session.dirty
        db.session.rollback()


def test_file_checks_are_recorded_only_by_whom_they_belong_to(app, make):
    here = make.village("shuangshipu")
    child_id = make.child(here.id).id
    users = {
        "admin": make.admin().id,
        "own": make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").id,
        "other": make.user(Role.TOWN_SUPERVISOR, town="hekou").id,
    }
    with app.test_request_context():
        child = db.session.get(Child, child_id)
        who = {key: db.session.get(User, user_id) for key, user_id in users.items()}
        allowed = {
            (key, level.value) for key in who for level in CheckLevel if can_record_check(child, level, who[key])
        }
        assert allowed == {("admin", "county_spot"), ("own", "town_full")}
        for key, level in (("own", CheckLevel.COUNTY_SPOT), ("admin", CheckLevel.TOWN_FULL)):
            with pytest.raises(ChildError) as refused:
                record_file_check(child, level=level, checked_on=date(2026, 1, 5), passed=True, remarks="", by=who[key])
            assert refused.value.code == "check_not_yours"
        db.session.rollback()
