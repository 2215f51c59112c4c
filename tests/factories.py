"""Builders for test data: each opens its own app context, commits, and returns the row detached and loaded."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import hash_password
from app.directory.models import Organization, OrganizationKind, Town, Village, VillageKind
from app.extensions import db

_counter = itertools.count(1)


class Factory:
    PASSWORD = "correct-horse-42"

    def __init__(self, app) -> None:
        self.app = app

    def _save(self, obj):
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
        return obj

    def town(self, code: str = "shuangshipu") -> Town:
        with self.app.app_context():
            town = db.session.scalar(select(Town).where(Town.code == code))
            db.session.expunge(town)
            return town

    def organization(self, code: str | None = None, kind=OrganizationKind.SOCIAL_ORGANIZATION, **values):
        with self.app.app_context():
            if code:
                existing = db.session.scalar(select(Organization).where(Organization.code == code))
                if existing is not None:
                    db.session.expunge(existing)
                    return existing
            n = next(_counter)
            values.setdefault("name_zh", f"测试机构{n}")
            values.setdefault("name_en", f"Test organization {n}")
            return self._save(Organization(code=code or f"test-org-{n}", kind=kind, **values))

    def village(self, town: str = "shuangshipu", name_zh: str | None = None, **values) -> Village:
        with self.app.app_context():
            town_row = db.session.scalar(select(Town).where(Town.code == town))
            n = next(_counter)
            values.setdefault("kind", VillageKind.VILLAGE)
            values.setdefault("name_en", f"Test {n}")
            return self._save(Village(town_id=town_row.id, name_zh=name_zh or f"测试村{n}", **values))

    def user(
        self,
        role: Role = Role.VOLUNTEER,
        *,
        username: str | None = None,
        phone: str | None = None,
        password: str | None = None,
        organization: str | None = None,
        town: str | None = None,
        villages: list[int] | None = None,
        **values,
    ) -> User:
        with self.app.app_context():
            n = next(_counter)
            if username is None and phone is None:
                username = f"user{n}"
            user = User(
                role=role,
                username=username,
                phone=phone,
                name=values.pop("name", f"测试用户{n}"),
                password_hash=hash_password(password or self.PASSWORD),
                **values,
            )
            if organization:
                user.organization = db.session.scalar(select(Organization).where(Organization.code == organization))
            if town:
                user.town = db.session.scalar(select(Town).where(Town.code == town))
            if villages:
                user.villages = list(db.session.scalars(select(Village).where(Village.id.in_(villages))))
            return self._save(user)

    def admin(self, **values) -> User:
        return self.user(Role.ADMIN, **values)

    def activity(
        self,
        organization: str = "youth-league",
        *,
        shifts: list[tuple] | None = None,
        publish: bool = True,
        days_ahead: int = 7,
        kind=None,
        town: str | None = "shuangshipu",
        title: str | None = None,
    ):
        """A (published) activity with shifts given as (start, end, capacity): the start and end are hours on
        ``days_ahead`` or UTC datetimes."""
        from datetime import datetime, time, timedelta

        from app.activities.models import Activity, ActivityKind
        from app.activities.services import ActivityData, ShiftData, create_activity, publish_activity
        from app.db_types import utcnow
        from app.timeutils import local_to_utc, to_local

        with self.app.test_request_context():
            org = db.session.scalar(select(Organization).where(Organization.code == organization))
            author = User(role=Role.ADMIN, name="factory", password_hash="x", username=f"author{next(_counter)}")
            db.session.add(author)
            db.session.flush()
            day = to_local(utcnow()).date() + timedelta(days=days_ahead)

            def at(moment):
                return moment if isinstance(moment, datetime) else local_to_utc(day, time(moment))

            town_row = db.session.scalar(select(Town).where(Town.code == town)) if town else None
            data = ActivityData(
                title=title or f"测试活动{next(_counter)}",
                kind=kind or ActivityKind.HOLIDAY_CARE,
                organization=org,
                town_id=town_row.id if town_row else None,
                venue="村委会",
                shifts=[ShiftData(at(start), at(end), capacity) for start, end, capacity in (shifts or [(9, 12, 5)])],
            )
            (activity,) = create_activity(data, by=author, allow_past=True)
            if publish:
                publish_activity(activity, by=author)
            db.session.commit()
            activity_id = activity.id
        with self.app.app_context():
            from sqlalchemy.orm import selectinload

            loaded = db.session.scalar(
                select(Activity).options(selectinload(Activity.shifts)).where(Activity.id == activity_id)
            )
            db.session.expunge_all()
            return loaded

    def shift_with_volunteers(
        self, volunteers: int, capacity: int, *, title: str | None = None, days_ahead: int = 3
    ) -> tuple[int, list[int]]:
        """A published activity (an administrator its author) with one 09:00–12:00 shift of ``capacity`` places
        ``days_ahead`` days on, and ``volunteers`` volunteers who have not signed up yet, mobiles 13900000000,
        13900000001, ... in order and no usable password (quick to build many); returns the shift's id and the
        volunteers' ids in that order."""
        with self.app.app_context():
            users = [
                User(role=Role.VOLUNTEER, name=f"志愿者{i}", phone=f"139{i:08d}", password_hash="!")
                for i in range(volunteers)
            ]
            db.session.add_all(users)
            db.session.flush()
            user_ids = [user.id for user in users]
            db.session.commit()
        activity = self.activity(shifts=[(9, 12, capacity)], days_ahead=days_ahead, town=None, title=title)
        return activity.shifts[0].id, user_ids

    def busy_summer(self, activities: int = 205, volunteers: int = 40) -> list[str]:
        """A county's busy summer in bulk (no services, so it is fast): ``activities`` published ones in the coming
        weeks across the towns and organizations, 2–3 shifts each, and ``volunteers`` who signed up here and there
        (some shifts full, with a waitlist); returns the activities' codes, soonest first."""
        from datetime import timedelta

        from sqlalchemy import insert

        from app.activities.models import Activity, ActivityKind, ActivityStatus, Shift, Signup, SignupStatus
        from app.db_types import utcnow

        with self.app.app_context():
            now = utcnow().replace(minute=0, second=0, microsecond=0)
            orgs = db.session.scalars(select(Organization.id).order_by(Organization.id)).all()
            towns = db.session.scalars(select(Town.id).order_by(Town.id)).all()
            kinds = list(ActivityKind)
            rows = []
            for i in range(activities):
                start = now + timedelta(days=1 + i // 8, hours=i % 8)
                rows.append(
                    {
                        "organization_id": orgs[i % len(orgs)],
                        "town_id": towns[i % len(towns)] if i % 5 else None,
                        "title": f"暑期活动{i:03d}",
                        "kind": kinds[i % len(kinds)],
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=6),
                        "status": ActivityStatus.PUBLISHED,
                    }
                )
            db.session.execute(insert(Activity), rows)
            listed = db.session.execute(
                select(Activity.id, Activity.code, Activity.starts_at).where(Activity.title.like("暑期活动%"))
            ).all()
            shifts = [
                {
                    "activity_id": a,
                    "starts_at": start + timedelta(hours=2 * k),
                    "ends_at": start + timedelta(hours=2 * k + 2),
                    "capacity": 5 * (k + 1),
                }
                for a, _code, start in listed
                for k in range(2 + a % 2)
            ]
            db.session.execute(insert(Shift), shifts)
            users = [
                {"role": Role.VOLUNTEER, "name": f"志愿者{n}", "phone": f"139{n:08d}", "password_hash": "!"}
                for n in range(volunteers)
            ]
            db.session.execute(insert(User), users)
            user_ids = db.session.scalars(select(User.id).where(User.phone.like("139%"))).all()
            shift_rows = db.session.execute(select(Shift.id, Shift.capacity).order_by(Shift.id)).all()
            signups, turn = [], itertools.cycle(user_ids)
            for n, (shift_id, capacity) in enumerate(shift_rows):  # a quarter empty ... every seventh full, 2 waiting
                confirmed = capacity if n % 7 == 0 else capacity * (n % 4) // 4
                for k in range(confirmed + (2 if n % 7 == 0 else 0)):
                    status = SignupStatus.CONFIRMED if k < confirmed else SignupStatus.WAITLISTED
                    signups.append({"shift_id": shift_id, "user_id": next(turn), "status": status})
            db.session.execute(insert(Signup), signups)
            db.session.commit()
            return [code for _id, code, _start in sorted(listed, key=lambda row: (row[2], row[0]))]

    def child(self, village_id: int, *, name: str = "王小明", birth=None, id_number: str | None = None, **values):
        from datetime import date

        from app.childcare.models import Child, Gender

        with self.app.app_context():
            village = db.session.get(Village, village_id)
            return self._save(
                Child(
                    name=name,
                    gender=values.pop("gender", Gender.MALE),
                    birth_date=birth or date(2015, 6, 12),
                    id_number=id_number,
                    village_id=village.id,
                    town_id=village.town_id,
                    **values,
                )
            )


def valid_id_number(birth: str = "20150612", sequence: str = "123", region: str = "610330") -> str:
    """A resident ID number with a correct check digit (Feng County's region code by default)."""
    from stdnum.cn import ric

    body = region + birth + sequence
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character
