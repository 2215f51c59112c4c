"""Demo activities for a fresh site: several kinds and towns, some with free places, one full with a waitlist."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from app.activities.models import Activity, ActivityKind, Audience, SafetyTopic
from app.activities.services import ActivityData, ShiftData, create_activity, publish_activity, sign_up
from app.auth.models import Role, User
from app.auth.services import hash_password
from app.db_types import utcnow
from app.directory.models import Organization, Town, Village
from app.extensions import db
from app.timeutils import local_to_utc, to_local

# title, kind, organization, town, village, venue, days ahead, shifts (start, end, capacity, role), topics
DEMO_ACTIVITIES = [
    (
        "暑期快乐营：阅读与陪伴",
        ActivityKind.HOLIDAY_CARE,
        "sws-shuangshipu",
        "shuangshipu",
        "凤凰村",
        "凤凰村村委会活动室",
        7,
        [(time(9), time(12), 6, "陪伴"), (time(14), time(17), 6, "陪伴")],
        [],
    ),
    (
        "防溺水安全知识进村",
        ActivityKind.SAFETY_VILLAGE,
        "youth-league",
        "shuangshipu",
        "松林村",
        "松林村文化广场",
        10,
        [(time(15), time(17), 2, "讲师助手")],
        [SafetyTopic.DROWNING, SafetyTopic.ROAD_TRAFFIC],
    ),
    (
        "爱心妈妈结对见面会",
        ActivityKind.MENTORING,
        "womens-federation",
        "fengzhou",
        "古城村",
        "凤州镇妇女儿童之家",
        14,
        [(time(9, 30), time(11, 30), 10, "")],
        [],
    ),
    (
        "青少年网络安全课堂",
        ActivityKind.ONLINE_PROTECTION,
        "youth-league",
        "hekou",
        "河口村",
        "河口镇中心小学",
        21,
        [(time(14), time(16), 4, "助教")],
        [SafetyTopic.ONLINE],
    ),
    (
        "家庭教育指导讲座",
        ActivityKind.FAMILY_EDUCATION,
        "womens-federation",
        "huangniupu",
        None,
        "黄牛铺镇政府会议室",
        28,
        [(time(19), time(21), 3, "")],
        [],
    ),
]
DEMO_MAP_URL = "https://uri.amap.com/marker?position=106.5237,33.9117"
DEMO_VOLUNTEERS = [("volunteer-2", "演示志愿者乙", "13800000002"), ("volunteer-3", "演示志愿者丙", "13800000003")]


def seed_demo_activities(password: str) -> None:
    """Create the demo activities once (by title), published, with the full one filled and a waitlist."""
    if db.session.scalar(select(User.id).join(User.organization).where(User.username == "youth-league")) is None:
        return
    volunteers = []
    for username, name, phone in DEMO_VOLUNTEERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                name=name,
                phone=phone,
                role=Role.VOLUNTEER,
                password_hash=hash_password(password),
                privacy_consent_at=utcnow(),
            )
            db.session.add(user)
        volunteers.append(user)
    db.session.flush()
    today = to_local(utcnow()).date()
    for title, kind, org_code, town_code, village_name, venue, days, shifts, topics in DEMO_ACTIVITIES:
        if db.session.scalar(select(Activity.id).where(Activity.title == title)) is not None:
            continue
        organization = db.session.scalar(select(Organization).where(Organization.code == org_code))
        coordinator = db.session.scalar(select(User).where(User.organization_id == organization.id)) or volunteers[0]
        town = db.session.scalar(select(Town).where(Town.code == town_code))
        village = db.session.scalar(select(Village).where(Village.town_id == town.id, Village.name_zh == village_name))
        day: date = today + timedelta(days=days)
        data = ActivityData(
            title=title,
            kind=kind,
            organization=organization,
            town_id=town.id,
            village_id=village.id if village else None,
            venue=venue,
            safety_topics=[str(t) for t in topics],
            audience=Audience.BOTH if kind == ActivityKind.SAFETY_VILLAGE else Audience.CHILDREN,
            expected_children=30,
            description="演示数据：此活动为演示用途。",
            shifts=[
                ShiftData(local_to_utc(day, start), local_to_utc(day, end), capacity, role)
                for start, end, capacity, role in shifts
            ],
            # A made-up contact (the 138 0000 range of the demo accounts) and a map of the county seat.
            contact_name="演示联系人",
            contact_phone="138 0000 1000",
            is_contact_on_poster=kind == ActivityKind.HOLIDAY_CARE,
            map_url=DEMO_MAP_URL,
            what_to_bring="水杯、遮阳帽",
        )
        (activity,) = create_activity(data, by=coordinator)
        publish_activity(activity, by=coordinator)
        db.session.flush()
        if kind == ActivityKind.SAFETY_VILLAGE:  # the full one: two places, two taken, one waiting
            demo_volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
            for user in [*volunteers, demo_volunteer]:
                if user is not None:
                    sign_up(activity.shifts[0].id, user)
