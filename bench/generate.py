"""Generate data fast with bulk inserts: ``python -m bench.generate --children 5000 ...`` (report scale) or
``python -m bench.generate --busy-summer`` (the volunteer pages' scale, issue 14).

Writes into the database of ``--database-url`` (migrated first): at report scale children, activities over three
years, attendance, visits, sign-ups and pairings, spread over the county's towns and villages; for a busy summer
205 upcoming published activities with 2–3 shifts each and 1,000 volunteers, some signed up.
"""

from __future__ import annotations

import argparse
import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from app.activities.models import (
    KIND_TASKS,
    Activity,
    ActivityKind,
    ActivityStatus,
    Audience,
    SafetyTopic,
    Shift,
    Signup,
    SignupStatus,
)
from app.auth.models import Role, User
from app.childcare.models import Attendance, Child, Gender, Visit, VisitKind
from app.db_types import utcnow
from app.directory.models import Organization, OrganizationKind, Town, Village
from app.directory.reference import load_demo_places, load_reference_data
from app.extensions import db
from app.reports.reach import recount_all
from app.timeutils import local_to_utc, to_local

KINDS = list(ActivityKind)
YEARS = (2024, 2025, 2026)
BATCH = 5000


def _bulk(model, rows) -> int:
    """Insert rows (any iterable of dicts, consumed lazily) in batches; returns how many."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(insert(model), batch)
            count, batch = count + len(batch), []
    if batch:
        db.session.execute(insert(model), batch)
    return count + len(batch)


def generate(*, children: int, activities_per_year: int, attendance: int, visits: int, seed: int = 7) -> dict:
    """Fill the database; returns how many rows of each kind were written and how long it took."""
    rng = random.Random(seed)
    started = clock.perf_counter()
    towns = list(db.session.scalars(select(Town)))
    villages = list(db.session.scalars(select(Village)))
    wanted = max(120, children // 40)  # a county has about 100 villages, with ~40 children on file each
    if len(villages) < wanted:
        _bulk(
            Village,
            [
                {
                    "town_id": towns[i % len(towns)].id,
                    "name_zh": f"生成村{i}",
                    "name_en": f"Gen {i}",
                    "kind": "village",
                    "is_active": True,
                    "is_demo": True,
                    "created_at": datetime.now(UTC),
                }
                for i in range(len(villages), wanted)
            ],
        )
        villages = list(db.session.scalars(select(Village)))
    organizations = list(db.session.scalars(select(Organization)))
    _bulk(
        User,
        [
            {
                "username": f"gen-director-{i}",
                "name": f"生成主任{i}",
                "password_hash": "!",
                "role": Role.CHILD_DIRECTOR.value,
                "is_active": True,
                "must_change_password": False,
                "created_at": datetime.now(UTC),
            }
            for i in range(max(50, children // 100))
        ]
        + [
            {
                "username": f"gen-volunteer-{i}",
                "name": f"生成志愿者{i}",
                "password_hash": "!",
                "role": Role.VOLUNTEER.value,
                "is_active": True,
                "must_change_password": False,
                "created_at": datetime.now(UTC),
            }
            for i in range(max(500, children // 20))
        ],
    )
    director_ids = list(db.session.scalars(select(User.id).where(User.username.like("gen-director-%"))))
    volunteer_ids = list(db.session.scalars(select(User.id).where(User.username.like("gen-volunteer-%"))))
    opened = datetime(2024, 1, 2, tzinfo=UTC)

    def child_rows():
        for i in range(children):
            village = villages[i % len(villages)]
            yield {
                "name": f"生成{i}",
                "gender": Gender.MALE.value if i % 2 else Gender.FEMALE.value,
                "birth_date": date(2012 + i % 12, 1 + i % 12, 1 + i % 28),
                "town_id": village.town_id,
                "village_id": village.id,
                "grade": "",
                "categories": ["left_behind"],
                "risk_flags": ["behaviour"] if i % 11 == 0 else [],
                "father_name": "",
                "mother_name": "",
                "guardian_name": "",
                "guardian_relation": "",
                "guardian_phone": "",
                "parents_workplace": "",
                "caregiver_name": "",
                "director_id": director_ids[i % len(director_ids)],
                "status": "active",
                "is_demo": True,
                "on_record_since": opened.date(),  # R3 counts from here (the column's default is today)
                "created_at": opened,
                "updated_at": opened,
            }

    _bulk(Child, child_rows())
    child_ids = list(db.session.scalars(select(Child.id).where(Child.name.like("生成%"))))
    activity_rows = []
    for year in YEARS:
        for i in range(activities_per_year):
            day = date(year, 1, 1) + timedelta(days=rng.randrange(0, 360 if year < 2026 else 320))
            kind = KINDS[i % len(KINDS)]
            starts = local_to_utc(day, time(9))
            activity_rows.append(
                {
                    "code": f"g{year}{i:05d}",
                    "organization_id": organizations[i % len(organizations)].id,
                    "title": f"生成活动{year}-{i}",
                    "description": "",
                    "kind": kind.value,
                    "plan_tasks": [11] if kind == ActivityKind.HOLIDAY_CARE else [13],
                    "safety_topics": ["drowning"] if i % 3 == 0 else [],
                    "audience": "children",
                    "town_id": towns[i % len(towns)].id,
                    "venue": "",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "expected_children": 20,
                    "status": ActivityStatus.COMPLETED.value,
                    "cancel_reason": "",
                    "sequence": 1,
                    "created_at": starts,
                    "updated_at": starts,
                }
            )
    _bulk(Activity, activity_rows)
    activities = db.session.execute(select(Activity.id, Activity.starts_at).where(Activity.code.like("g%"))).all()
    _bulk(
        Shift,
        [
            {
                "activity_id": a.id,
                "starts_at": a.starts_at,
                "ends_at": a.starts_at + timedelta(hours=2),
                "capacity": 10,
                "role": "",
            }
            for a in activities
        ],
    )
    shifts = db.session.execute(select(Shift.id, Shift.starts_at).join(Activity).where(Activity.code.like("g%"))).all()
    signups = _bulk(
        Signup,
        (
            {
                "shift_id": shift.id,
                "user_id": volunteer,
                "status": SignupStatus.CONFIRMED.value,
                "queued_at": shift.starts_at,
                "checked_in_at": shift.starts_at,
                "minutes": 120,  # bulk inserts skip the ORM hook that keeps it: the whole two-hour shift
                "is_no_show": False,
            }
            for shift in shifts
            for volunteer in rng.sample(volunteer_ids, 3)
        ),
    )
    now = datetime.now(UTC)

    def attendance_rows():
        """``attendance`` rows in all: each activity gets its share, give or take half, of distinct children."""
        left = attendance
        for index, activity in enumerate(activities):
            share = left // (len(activities) - index)
            size = min(
                left,
                len(child_ids),
                rng.randint(share // 2, share + share // 2) if index < len(activities) - 1 else left,
            )
            left -= size
            for child_id in rng.sample(child_ids, size):
                yield {
                    "activity_id": activity.id,
                    "child_id": child_id,
                    "marked_by_id": director_ids[0],
                    "concern": "",
                    "created_at": now,
                }

    written = _bulk(Attendance, attendance_rows())
    kinds = [VisitKind.PHONE.value, VisitKind.HOME.value, VisitKind.VIDEO.value]
    _bulk(
        Visit,
        (
            {
                "child_id": child_ids[i % len(child_ids)],
                "kind": kinds[i % 3],
                "visited_on": date(2024, 1, 8) + timedelta(days=rng.randrange(0, 1000)),
                "findings": "",
                "caregiver_ability": "",
                "psychological_needs": "",
                "author_id": director_ids[i % len(director_ids)],
                "created_at": now,
            }
            for i in range(visits)
        ),
    )
    recount_all()  # the bulk inserts skipped the hooks that keep the yearly counts
    db.session.commit()
    return {
        "children": children,
        "activities": len(activities),
        "attendance": written,
        "visits": visits,
        "signups": signups,
        "seconds": round(clock.perf_counter() - started, 1),
    }


# A county's summer vacation: what the towns, schools and county bodies run, and who helps (title stem, kind).
SUMMER = [
    ("暑期快乐营：阅读与陪伴", ActivityKind.HOLIDAY_CARE),
    ("暑期托管：作业辅导", ActivityKind.HOLIDAY_CARE),
    ("防溺水巡河", ActivityKind.DROWNING_PATROL),
    ("防溺水安全知识进村", ActivityKind.SAFETY_VILLAGE),
    ("交通安全小课堂", ActivityKind.SAFETY_LECTURE),
    ("绘本共读", ActivityKind.READING),
    ("心理健康游戏课", ActivityKind.MENTAL_HEALTH),
    ("爱心妈妈结对见面会", ActivityKind.MENTORING),
    ("家庭教育指导讲座", ActivityKind.FAMILY_EDUCATION),
    ("青少年网络安全课堂", ActivityKind.ONLINE_PROTECTION),
    ("法治进校园", ActivityKind.LEGAL_EDUCATION),
    ("红色故事会", ActivityKind.RED_EDUCATION),
]
ROLES = ["陪伴", "助教", "讲师助手", "巡河", "后勤", ""]
# Shift patterns: (start hour, length in hours) for each shift of an activity; 2 or 3 shifts.
PATTERNS = [
    [(9, 3), (14, 3)],
    [(8, 2), (10, 2)],
    [(9, 2), (14, 2), (16, 2)],
    [(8, 3), (14, 3), (19, 2)],
    [(15, 2), (17, 2)],
]
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def busy_summer(*, activities: int = 205, volunteers: int = 1000, weeks: int = 8, seed: int = 14) -> dict:
    """A county's busy summer for the volunteer pages (issue 14): the demo's reference data (county bodies, towns,
    their governments and stations, the demo villages and schools), one coordinator per organization that runs
    activities, ``activities`` published activities spread over the next ``weeks`` weeks (from tomorrow, Beijing
    time) with 2–3 shifts each, and ``volunteers`` volunteers, some signed up: most shifts partly taken, about one in
    eight full with a short waitlist (in queue order). Flushes, never commits; returns how many of each were written.
    """
    rng = random.Random(seed)
    started = clock.perf_counter()
    load_reference_data()
    load_demo_places()
    db.session.flush()
    towns = list(db.session.scalars(select(Town).order_by(Town.sort_order)))
    villages: dict[int, list[int]] = {}
    for village_id, town_id in db.session.execute(select(Village.id, Village.town_id)):
        villages.setdefault(town_id, []).append(village_id)
    organizers = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.kind.in_([OrganizationKind.COUNTY_BODY, OrganizationKind.SOCIAL_WORK_STATION]))
            .order_by(Organization.sort_order, Organization.id)
        )
    )
    now = utcnow()
    _bulk(
        User,
        [
            {
                "username": f"summer-coordinator-{org.code}",
                "name": f"协调员{i}",
                "password_hash": "!",
                "role": Role.COORDINATOR.value,
                "organization_id": org.id,
                "is_active": True,
                "must_change_password": False,
                "created_at": now,
            }
            for i, org in enumerate(organizers)
        ],
    )
    coordinators = dict(
        db.session.execute(
            select(User.organization_id, User.id).where(User.username.like("summer-coordinator-%"))
        ).all()
    )
    _bulk(
        User,
        (
            {
                "phone": f"139{i:08d}",
                "name": f"暑期志愿者{i}",
                "password_hash": "!",
                "role": Role.VOLUNTEER.value,
                "is_active": True,
                "must_change_password": False,
                "privacy_consent_at": now,
                "created_at": now - timedelta(days=rng.randrange(1, 400)),
            }
            for i in range(volunteers)
        ),
    )
    volunteer_ids = list(
        db.session.scalars(select(User.id).where(User.role == Role.VOLUNTEER, User.phone.like("139%")))
    )
    first_day = to_local(now).date() + timedelta(days=1)
    activity_rows, shift_plans = [], {}
    for i in range(activities):
        title, kind = SUMMER[i % len(SUMMER)]
        town = towns[rng.randrange(len(towns))]
        in_town = villages.get(town.id, [])
        village_id = rng.choice(in_town) if in_town and rng.random() < 0.7 else None
        day = first_day + timedelta(days=rng.randrange(weeks * 7))
        pattern = PATTERNS[rng.randrange(len(PATTERNS))]
        shifts = [
            (local_to_utc(day, time(hour)), local_to_utc(day, time(hour)) + timedelta(hours=length))
            for hour, length in pattern
        ]
        organization = organizers[i % len(organizers)]
        code = "".join(rng.choice(URLSAFE) for _ in range(8))
        created = now - timedelta(days=rng.randrange(1, 30))
        activity_rows.append(
            {
                "code": code,
                "organization_id": organization.id,
                "title": f"{town.name_zh}{title}（第{i // len(SUMMER) + 1}期）",
                "description": f"{town.name_zh}暑期关爱活动：欢迎志愿者报名，活动前一天会收到提醒。",
                "kind": kind.value,
                "plan_tasks": KIND_TASKS[kind],
                "safety_topics": [SafetyTopic.DROWNING.value]
                if kind in {ActivityKind.DROWNING_PATROL, ActivityKind.SAFETY_VILLAGE}
                else [],
                "audience": Audience.CHILDREN.value,
                "town_id": town.id,
                "village_id": village_id,
                "venue": f"{town.name_zh}{'村委会活动室' if village_id else '中心小学'}",
                "what_to_bring": "水杯、遮阳帽" if i % 2 else "",
                "starts_at": shifts[0][0],
                "ends_at": max(end for _, end in shifts),
                "expected_children": rng.choice([15, 20, 30, 40]),
                "status": ActivityStatus.PUBLISHED.value,
                "cancel_reason": "",
                "sequence": 1,
                "created_by_id": coordinators.get(organization.id),
                "created_at": created,
                "updated_at": created,
            }
        )
        shift_plans[code] = shifts
    _bulk(Activity, activity_rows)
    ids = dict(db.session.execute(select(Activity.code, Activity.id).where(Activity.code.in_(list(shift_plans)))).all())
    _bulk(
        Shift,
        [
            {
                "activity_id": ids[code],
                "starts_at": starts,
                "ends_at": ends,
                "capacity": rng.choice([4, 6, 8, 10, 12, 20]),
                "role": rng.choice(ROLES),
            }
            for code, shifts in shift_plans.items()
            for starts, ends in shifts
        ],
    )
    shifts = db.session.execute(
        select(Shift.id, Shift.capacity).where(Shift.activity_id.in_(list(ids.values()))).order_by(Shift.id)
    ).all()

    def signup_rows():
        for shift in shifts:
            full = rng.random() < 0.125
            taken = shift.capacity if full else rng.randrange(0, shift.capacity)
            waiting = rng.randint(1, 3) if full else 0
            queued = now - timedelta(hours=rng.randrange(24, 24 * 20))
            for n, user_id in enumerate(rng.sample(volunteer_ids, min(len(volunteer_ids), taken + waiting))):
                at = queued + timedelta(minutes=7 * n)  # the waitlist in queue order, after the confirmed
                yield {
                    "shift_id": shift.id,
                    "user_id": user_id,
                    "status": (SignupStatus.CONFIRMED if n < taken else SignupStatus.WAITLISTED).value,
                    "queued_at": at,
                    "confirmed_at": at if n < taken else None,
                    "minutes": 0,
                    "is_no_show": False,
                }

    rows = list(signup_rows())
    _bulk(Signup, rows)
    db.session.flush()
    return {
        "activities": len(ids),
        "shifts": len(shifts),
        "volunteers": len(volunteer_ids),
        "coordinators": len(coordinators),
        "confirmed": sum(1 for r in rows if r["status"] == SignupStatus.CONFIRMED.value),
        "waitlisted": sum(1 for r in rows if r["status"] == SignupStatus.WAITLISTED.value),
        "seconds": round(clock.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--activities-per-year", type=int, default=1500)
    parser.add_argument("--attendance", type=int, default=60000)
    parser.add_argument("--visits", type=int, default=150000)
    parser.add_argument(
        "--busy-summer", action="store_true", help="205 upcoming activities and 1,000 volunteers instead (issue 14)"
    )
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import seed_demo_data
    from config import TestingConfig

    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = args.database_url
    app = create_app(config)
    with app.test_request_context():
        upgrade()
        if args.busy_summer:
            print(busy_summer())
            db.session.commit()
            return
        seed_demo_data()
        db.session.commit()
        print(
            generate(
                children=args.children,
                activities_per_year=args.activities_per_year,
                attendance=args.attendance,
                visits=args.visits,
            )
        )


if __name__ == "__main__":
    main()
