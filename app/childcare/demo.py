"""Demo children (obviously fictional: every name contains 演示), with visits, some overdue, and attendance.

The files are on record from the spring of 2024 (the plan's survey: files complete by the end of May 2024), and the
demo director's files carry a visit history from then to today, kept by habits from diligent to patchy, so the R3
pages show real figures for 2024, 2025 and 2026; the last weeks are fixed so the director's list always has a child
overdue, some due this week and some up to date.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import select

from app.activities.models import ActivityKind, ActivityStatus
from app.activities.services import ActivityData, ShiftData, create_activity
from app.auth.models import User
from app.childcare.models import Child, ChildCategory, Gender, RiskFlag, Visit, VisitKind
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


# The survey put the demo's files on record between March and May 2024.
ON_RECORD_FROM = date(2024, 3, 4)
# How reliably each of the director's children is contacted and visited (a share of the windows met).
DILIGENCE = (0.97, 0.9, 0.8, 0.93, 0.65, 0.95, 0.85, 0.75, 0.98, 0.9, 0.7, 0.88, 0.6, 0.92)
# The director's children's last weeks are written by hand (below) from this many days ago.
RECENT_DAYS = 45
FINDINGS = {
    VisitKind.PHONE: "演示数据：电话联系监护人，孩子状态良好。",
    VisitKind.VIDEO: "演示数据：视频通话，孩子学习正常。",
    VisitKind.HOME: "演示数据：入户走访，居住环境安全。",
}


def seed_demo_children(today: date) -> None:
    """About thirty children in the demo villages, on record since the spring of 2024; the Shuangshipu director's
    two villages get visit histories."""
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
            on_record_since=ON_RECORD_FROM + timedelta(days=3 * index),
            is_demo=True,
        )
        db.session.add(child)
        children.append(child)
    db.session.flush()
    if director is None:
        return
    mine = [child for child in children if child.director_id == director.id]
    for index, child in enumerate(mine):
        # The first twelve get hand-written last weeks; the others' habits run on to yesterday.
        until = today - timedelta(days=RECENT_DAYS) if child in children[:12] else today - timedelta(days=1)
        _visit_history(child, director, until, DILIGENCE[index % len(DILIGENCE)], random.Random(index))
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
    _demo_pairings(children[8:11], director, today)


def _visit_history(child: Child, director: User, until: date, diligence: float, rng: random.Random) -> None:
    """Visits from the week the child came on record to ``until``: in each part of each week a contact (each half
    with a risk flag: the default policy), in each part of each month a home visit, each with ``diligence``."""
    risky = bool(child.risk_flags)
    days: dict[date, VisitKind] = {}
    month = child.on_record_since.replace(day=1)
    while month <= until:
        following = (month + timedelta(days=32)).replace(day=1)
        halves = [(month, month.replace(day=14)), (month.replace(day=15), following - timedelta(days=1))]
        for first, last in halves if risky else [(month, following - timedelta(days=1))]:
            if rng.random() < diligence - 0.05:
                days[first + timedelta(days=rng.randrange((last - first).days + 1))] = VisitKind.HOME
        month = following
    monday = child.on_record_since - timedelta(days=child.on_record_since.weekday())
    while monday <= until:
        for offset, length in ((0, 3), (3, 4)) if risky else ((0, 7),):
            if rng.random() < diligence:
                day = monday + timedelta(days=offset + rng.randrange(length))
                days.setdefault(day, rng.choice([VisitKind.PHONE, VisitKind.PHONE, VisitKind.VIDEO]))
        monday += timedelta(days=7)
    for day, kind in sorted(days.items()):
        if child.on_record_since - timedelta(days=7) <= day <= until:
            db.session.add(
                Visit(child_id=child.id, kind=kind, visited_on=day, findings=FINDINGS[kind], author_id=director.id)
            )


def _past_activity_with_attendance(children: list[Child], director: User, today: date) -> None:
    """A reading afternoon of the social-work station, two weeks ago, with the station's social worker marking who
    came (one concern noted on the spot, which reaches the director's home page); and one the station held last
    week but has not closed yet (on the social worker's home page, to close with one tap)."""
    from app.childcare.attendance import mark_attendance
    from app.childcare.models import ProblemSource
    from app.childcare.services import raise_problem

    organization = db.session.scalar(select(Organization).where(Organization.code == "sws-shuangshipu"))
    worker = db.session.scalar(select(User).where(User.username == "social-work-shuangshipu")) or director
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor-shuangshipu"))
    town = db.session.scalar(select(Town).where(Town.code == "shuangshipu"))
    held, open_one = [
        _demo_activity(organization, town, worker, title, today - timedelta(days=days_ago))
        for title, days_ago in (("周末阅读陪伴（已结束）", 14), ("安全知识进村（待关闭）", 6))
    ]
    for index, child in enumerate(children[:6]):
        concern = "演示数据：孩子手臂有淤青，说是摔的，请儿童主任家访了解。" if index == 1 else ""
        mark_attendance(held, child, by=worker, concern=concern)
    held.status = ActivityStatus.COMPLETED
    if supervisor is not None and len(children) > 6:
        # Raised by the town supervisor ten days ago and still open: past the escalation setting.
        raise_problem(
            children[6],
            description="演示数据：监护人反映孩子近期不愿上学，请跟进。",
            found_on=today - timedelta(days=10),
            by=supervisor,
            source=ProblemSource.CHECK,
        )
    db.session.flush()
    del open_one  # stays published: the coordinator's worklist asks to close it


def _demo_activity(organization, town, author: User, title: str, day: date):
    data = ActivityData(
        title=title,
        kind=ActivityKind.READING,
        organization=organization,
        town_id=town.id,
        venue="凤凰村农家书屋",
        expected_children=10,
        description="演示数据：此活动为演示用途。",
        shifts=[ShiftData(local_to_utc(day, time(9)), local_to_utc(day, time(11)), 5)],
    )
    (activity,) = create_activity(data, by=author, allow_past=True)
    activity.status = ActivityStatus.PUBLISHED
    db.session.flush()
    return activity


def _demo_pairings(children: list[Child], director: User, today: date) -> None:
    """The director proposes three children to the Women's Federation; its coordinator pairs two of them with a
    caring mother, who logs a session each (one with a worry for the director); the third waits for a mentor."""
    from app.mentoring.models import ConsentMethod, PairingKind
    from app.mentoring.proposals import propose_child
    from app.mentoring.services import PairingData, create_pairing, log_session

    federation = db.session.scalar(select(Organization).where(Organization.code == "womens-federation"))
    coordinator = db.session.scalar(select(User).where(User.username == "womens-federation"))
    mentor = db.session.scalar(select(User).where(User.username == "volunteer-2"))
    if federation is None or coordinator is None or mentor is None:
        return
    mentor.organization_id = federation.id
    mentor.screened_by_id = federation.id
    mentor.screened_until = today + timedelta(days=365)
    for index, child in enumerate(children):
        propose_child(child, federation, kind=PairingKind.CARING_MOTHER, needs="演示数据：喜欢读书。", by=director)
        if index >= 2:
            continue
        pairing = create_pairing(
            PairingData(
                child=child,
                mentor=mentor,
                organization=federation,
                kind=PairingKind.CARING_MOTHER,
                started_on=today - timedelta(days=30),
                goal="演示数据：每周陪伴一次。",
                shared_needs="演示数据：喜欢读书。",
                consent_by=child.guardian_name,
                consent_on=today - timedelta(days=31),
                consent_method=ConsentMethod.IN_PERSON,
            ),
            by=coordinator,
        )
        log_session(
            pairing,
            held_on=today - timedelta(days=7),
            minutes=90,
            what_was_done="演示数据：一起读绘本。",
            worry="演示数据：孩子说晚上常常一个人在家，有些害怕。" if index == 0 else "",
            by=mentor,
        )
