"""Demo children (obviously fictional: every name contains 演示), with visits, some overdue, and attendance."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from app.activities.models import ActivityKind, ActivityStatus
from app.activities.services import ActivityData, ShiftData, create_activity
from app.auth.models import User
from app.childcare.models import Attendance, Child, ChildCategory, Gender, RiskFlag, Visit, VisitKind
from app.directory.models import Organization, Town, Village
from app.extensions import db
from app.timeutils import local_to_utc

SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "一二三四五六七八九十"
CATEGORY_CYCLE = [
    [ChildCategory.LEFT_BEHIND],
    [ChildCategory.LEFT_BEHIND],
    [ChildCategory.LEFT_BEHIND, ChildCategory.LOW_INCOME],
    [ChildCategory.ORPHAN],
    [ChildCategory.DISABLED],
    [ChildCategory.UNSUPPORTED],
]


def seed_demo_children(today: date) -> None:
    """About thirty children in the demo villages; the Shuangshipu director's two villages get visit histories."""
    if db.session.scalar(select(Child.id).where(Child.is_demo)) is not None:
        return
    director = db.session.scalar(select(User).where(User.username == "director-shuangshipu"))
    villages = list(db.session.scalars(select(Village).where(Village.is_demo).order_by(Village.id)))
    own = {v.id for v in director.villages} if director else set()
    children = []
    for index in range(30):
        village = villages[index % len(villages)] if index >= 12 else [v for v in villages if v.id in own][index % 2]
        child = Child(
            name=f"{SURNAMES[index % 10]}演示{GIVEN[index % 10]}{'' if index < 10 else GIVEN[index // 10 - 1]}",
            gender=Gender.MALE if index % 2 else Gender.FEMALE,
            birth_date=date(today.year - 6 - index % 10, 1 + index % 12, 1 + index % 27),
            village_id=village.id,
            town_id=village.town_id,
            grade=f"{1 + index % 6}年级",
            categories=[str(c) for c in CATEGORY_CYCLE[index % len(CATEGORY_CYCLE)]],
            risk_flags=[str(RiskFlag.BEHAVIOUR)] if index % 7 == 3 else [],
            guardian_name=f"{SURNAMES[index % 10]}演示监护人",
            guardian_relation="祖父母",
            parents_workplace="西安" if index % 3 else "宝鸡",
            director_id=director.id if director and village.id in own else None,
            is_demo=True,
        )
        db.session.add(child)
        children.append(child)
    db.session.flush()
    if director is None:
        return
    for index, child in enumerate(children[:12]):
        # A spread of histories: some up to date, some due this week, some overdue.
        days_since_home = (3, 12, 25, 40)[index % 4]
        db.session.add(
            Visit(
                child_id=child.id,
                kind=VisitKind.HOME,
                visited_on=today - timedelta(days=days_since_home),
                findings="演示数据：孩子状态良好。",
                author_id=director.id,
            )
        )
        if index % 3 == 0:
            db.session.add(
                Visit(
                    child_id=child.id,
                    kind=VisitKind.PHONE,
                    visited_on=today - timedelta(days=2),
                    findings="演示数据：电话联系监护人。",
                    author_id=director.id,
                )
            )
    _past_activity_with_attendance(children[:8], director, today)
    _demo_pairings(children[8:10], today)


def _past_activity_with_attendance(children: list[Child], director: User, today: date) -> None:
    organization = db.session.scalar(select(Organization).where(Organization.code == "sws-shuangshipu"))
    town = db.session.scalar(select(Town).where(Town.code == "shuangshipu"))
    day = today - timedelta(days=14)
    data = ActivityData(
        title="周末阅读陪伴（已结束）",
        kind=ActivityKind.READING,
        organization=organization,
        town_id=town.id,
        venue="凤凰村农家书屋",
        expected_children=10,
        description="演示数据：此活动为演示用途。",
        shifts=[ShiftData(local_to_utc(day, time(9)), local_to_utc(day, time(11)), 5)],
    )
    (activity,) = create_activity(data, by=director)
    activity.status = ActivityStatus.COMPLETED
    db.session.flush()
    for child in children[:6]:
        db.session.add(Attendance(activity_id=activity.id, child_id=child.id, marked_by_id=director.id))


def _demo_pairings(children: list[Child], today: date) -> None:
    """Two caring-mother pairings by the Women's Federation, with a session each."""
    from app.mentoring.models import ConsentMethod, MentoringSession, Pairing, PairingKind

    federation = db.session.scalar(select(Organization).where(Organization.code == "womens-federation"))
    coordinator = db.session.scalar(select(User).where(User.username == "womens-federation"))
    mentor = db.session.scalar(select(User).where(User.username == "volunteer-2"))
    if federation is None or coordinator is None or mentor is None:
        return
    mentor.organization_id = federation.id
    mentor.screened_by_id = federation.id
    mentor.screened_until = today + timedelta(days=365)
    for child in children:
        pairing = Pairing(
            child_id=child.id,
            mentor_id=mentor.id,
            organization_id=federation.id,
            kind=PairingKind.CARING_MOTHER,
            started_on=today - timedelta(days=30),
            goal="演示数据：每周陪伴一次。",
            shared_needs="演示数据：喜欢读书。",
            consent_by=child.guardian_name,
            consent_on=today - timedelta(days=31),
            consent_method=ConsentMethod.IN_PERSON,
            created_by_id=coordinator.id,
        )
        db.session.add(pairing)
        db.session.flush()
        db.session.add(
            MentoringSession(
                pairing_id=pairing.id,
                held_on=today - timedelta(days=7),
                minutes=90,
                what_was_done="演示数据：一起读绘本。",
            )
        )
