"""Generate report-scale data fast with bulk inserts: ``python -m bench.generate --children 5000 ...``.

Writes into the database of ``--database-url`` (migrated first) children, activities over three years, attendance,
visits, sign-ups and pairings, spread over the county's towns and villages.
"""

from __future__ import annotations

import argparse
import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from app.activities.models import Activity, ActivityKind, ActivityStatus, Shift, Signup, SignupStatus
from app.auth.models import Role, User
from app.childcare.models import Attendance, Child, Gender, Visit, VisitKind
from app.directory.models import Organization, Town, Village
from app.extensions import db
from app.reports.reach import recount_all
from app.timeutils import local_to_utc

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--activities-per-year", type=int, default=1500)
    parser.add_argument("--attendance", type=int, default=60000)
    parser.add_argument("--visits", type=int, default=150000)
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
