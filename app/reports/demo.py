"""Past years for the demo (2024–2026), so the reports show real figures and the compliance page both verdicts."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from app.activities.models import Activity, ActivityKind, ActivityStatus, SafetyTopic, Signup, SignupStatus
from app.activities.services import ActivityData, ShiftData, create_activity
from app.auth.models import User
from app.directory.models import Organization, Town
from app.extensions import db
from app.reports.models import ProgressReport
from app.timeutils import local_to_utc

# (organization, kind, month, day, topics) held every year; in 2026 the Women's Federation skips its event so R1 fails.
YEARLY = [
    ("education", ActivityKind.SAFETY_VILLAGE, 7, 10, [SafetyTopic.DROWNING]),
    ("police", ActivityKind.SAFETY_VILLAGE, 7, 18, [SafetyTopic.ROAD_TRAFFIC]),
    ("mca", ActivityKind.SAFETY_VILLAGE, 8, 5, [SafetyTopic.DROWNING, SafetyTopic.BULLYING]),
    ("youth-league", ActivityKind.SAFETY_VILLAGE, 7, 25, [SafetyTopic.ONLINE]),
    ("womens-federation", ActivityKind.SAFETY_VILLAGE, 8, 12, [SafetyTopic.SEXUAL_ASSAULT]),
    ("wcwc", ActivityKind.SAFETY_VILLAGE, 7, 28, [SafetyTopic.DROWNING]),
    ("mca", ActivityKind.DIRECTOR_TRAINING, 4, 16, []),
    ("mca", ActivityKind.DATA_COMPARISON, 3, 20, []),
    ("mca", ActivityKind.DATA_COMPARISON, 6, 20, []),
    ("mca", ActivityKind.DATA_COMPARISON, 9, 20, []),
    ("sws-shuangshipu", ActivityKind.HOLIDAY_CARE, 7, 15, []),
    ("sws-shuangshipu", ActivityKind.HOLIDAY_CARE, 1, 25, []),
    ("justice", ActivityKind.LEGAL_EDUCATION, 5, 8, []),
]
TITLE = "（演示）{year}年{name}"


def seed_demo_history() -> None:
    author = db.session.scalar(select(User).where(User.username == "admin"))
    if author is None:
        return
    if db.session.scalar(select(Activity.id).where(Activity.title.like("（演示）%年%"))) is not None:
        return
    town = db.session.scalar(select(Town).where(Town.code == "shuangshipu"))
    volunteers = list(
        db.session.scalars(select(User).where(User.username.in_(["volunteer", "volunteer-2", "volunteer-3"])))
    )
    for year in (2024, 2025, 2026):
        for code, kind, month, day, topics in YEARLY:
            if year == 2026 and code == "womens-federation":
                continue
            organization = db.session.scalar(select(Organization).where(Organization.code == code))
            start = local_to_utc(date(year, month, day), time(9))
            data = ActivityData(
                title=TITLE.format(year=year, name=organization.short_name_zh or organization.name_zh),
                kind=kind,
                organization=organization,
                town_id=town.id,
                venue="演示场地",
                safety_topics=[str(t) for t in topics],
                description="演示数据：历史活动。",
                shifts=[ShiftData(start, local_to_utc(date(year, month, day), time(11)), 5)],
            )
            (activity,) = create_activity(data, by=author, allow_past=True)
            activity.status = ActivityStatus.COMPLETED
            db.session.flush()
            for volunteer in volunteers[:2]:
                shift = activity.shifts[0]
                db.session.add(
                    Signup(
                        shift_id=shift.id,
                        user_id=volunteer.id,
                        status=SignupStatus.CONFIRMED,
                        checked_in_at=shift.starts_at,
                        checked_out_at=shift.ends_at,
                    )
                )
    db.session.flush()
    _seed_progress_reports(author)


# Progress reports (R8): every town reported, except that in 2025 Hekou was late and Huangniupu did not report; in
# 2026 two towns have reported and Shuangshipu's supervisor has not yet (the demo's own journey).
LATE, MISSING = {(2025, "hekou")}, {(2025, "huangniupu")}
REPORTED_2026 = {"fengzhou", "tangzang"}


def _seed_progress_reports(author: User) -> None:
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    for year in (2024, 2025, 2026):
        for n, town in enumerate(towns):
            if (year, town.code) in MISSING or (year == 2026 and town.code not in REPORTED_2026):
                continue
            day = date(year, 11, 3) if (year, town.code) in LATE else date(year, 10, 15 + n)
            db.session.add(
                ProgressReport(
                    town_id=town.id,
                    year=year,
                    achievements="（演示）全镇留守儿童和困境儿童建档率100%，儿童之家常态化开放。",
                    difficulties="（演示）儿童主任兼职多、流动性大。",
                    next_measures="（演示）加强儿童主任培训，完善关爱服务台账。",
                    submitted_at=local_to_utc(day, time(16)),
                    first_submitted_at=local_to_utc(day, time(16)),
                    submitted_by_id=author.id,
                )
            )
    db.session.flush()
