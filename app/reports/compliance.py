"""The plan's countable rules for a year, each with its verdict and the bodies behind it.

R1 safety-knowledge-into-villages events by six bodies; R2 school safety lectures before each vacation; R4 file
checks; R5 quarterly data comparisons; R6 child directors in every village (more above 30 children) and the county
demonstration training; R7 a minors protection station in every town.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.activities.models import Activity, ActivityKind, ActivityStatus, TrainingParticipant, activity_coorganizers
from app.auth.models import Role, User, user_villages
from app.childcare.models import CheckLevel, Child, ChildStatus, FileCheck
from app.childcare.services import today
from app.directory.models import Organization, OrganizationKind, Town, Village
from app.extensions import db
from app.i18n import localized_name
from app.reports.periods import Period, vacation
from app.timeutils import local_to_utc, to_local

R1_BODIES = ["education", "police", "mca", "youth-league", "womens-federation", "wcwc"]
LECTURE_WINDOW_DAYS = 60  # a lecture "before the vacation" is one held in the two months before it starts


@dataclass
class RuleResult:
    code: str
    title: str
    passed: bool
    missing: list[str] = field(default_factory=list)
    detail: str = ""


def _held(year: Period, kind: ActivityKind) -> list[tuple[int, int, object]]:
    return _held_between(year.starts_at, year.ends_before, kind)


def _held_between(start, end, kind: ActivityKind) -> list[tuple[int, int, object]]:
    return db.session.execute(
        select(Activity.id, Activity.organization_id, Activity.starts_at).where(
            Activity.kind == kind,
            Activity.status == ActivityStatus.COMPLETED,
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
    ).all()


def _organizers(activity_ids: list[int]) -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    if activity_ids:
        for activity_id, org_id in db.session.execute(
            select(activity_coorganizers.c.activity_id, activity_coorganizers.c.organization_id).where(
                activity_coorganizers.c.activity_id.in_(activity_ids)
            )
        ):
            result.setdefault(activity_id, set()).add(org_id)
    return result


def _orgs_holding(year: Period, kind: ActivityKind) -> set[int]:
    held = _held(year, kind)
    co = _organizers([h.id for h in held])
    return {h.organization_id for h in held} | {o for ids in co.values() for o in ids}


def rule_r1(year: Period) -> RuleResult:
    bodies = db.session.scalars(select(Organization).where(Organization.code.in_(R1_BODIES))).all()
    holding = _orgs_holding(year, ActivityKind.SAFETY_VILLAGE)
    missing = [localized_name(b) for b in sorted(bodies, key=lambda b: R1_BODIES.index(b.code)) if b.id not in holding]
    return RuleResult("R1", _("Each of six bodies held a safety-knowledge-into-villages event"), not missing, missing)


def rule_r2(year: Period) -> RuleResult:
    """Every active school held a safety lecture in the two months before the winter and the summer vacation."""
    windows = []
    for kind in ("winter", "summer"):
        start, _last = vacation(year.first.year, kind)
        windows.append((start - timedelta(days=LECTURE_WINDOW_DAYS), start))
    # The lecture before the winter vacation may fall in the previous November or December.
    lectures = _held_between(
        local_to_utc(windows[0][0], time(0)), local_to_utc(windows[1][1], time(0)), ActivityKind.SAFETY_LECTURE
    )
    co = _organizers([h.id for h in lectures])
    schools = db.session.scalars(
        select(Organization).where(Organization.kind == OrganizationKind.SCHOOL, Organization.is_active)
    ).all()
    missing = []
    for school in schools:
        for (first, before), name in zip(windows, (_("winter"), _("summer")), strict=True):
            done = any(
                (lecture.organization_id == school.id or school.id in co.get(lecture.id, ()))
                and first <= to_local(lecture.starts_at).date() < before
                for lecture in lectures
            )
            if not done:
                missing.append(
                    _("%(school)s (before the %(vacation)s vacation)", school=localized_name(school), vacation=name)
                )
    return RuleResult("R2", _("Every school held a safety lecture before each vacation"), not missing, missing)


def rule_r4(year: Period) -> RuleResult:
    checks = db.session.execute(
        select(FileCheck.level, Child.town_id)
        .join(Child, Child.id == FileCheck.child_id)
        .where(FileCheck.checked_on >= year.first, FileCheck.checked_on <= year.last)
    ).all()
    missing = []
    if not any(level == CheckLevel.COUNTY_SPOT for level, _town in checks):
        missing.append(_("the county's spot check"))
    checked_towns = {town for level, town in checks if level == CheckLevel.TOWN_FULL}
    towns_with_children = set(
        db.session.scalars(select(Child.town_id).where(Child.status == ChildStatus.ACTIVE).distinct())
    )
    for town in db.session.scalars(select(Town).order_by(Town.sort_order)):
        if town.id in towns_with_children and town.id not in checked_towns:
            missing.append(_("%(town)s's full check", town=localized_name(town)))
    return RuleResult(
        "R4", _("Files checked: the county's spot check and each town's full check"), not missing, missing
    )


def rule_r5(year: Period) -> RuleResult:
    held = _held(year, ActivityKind.DATA_COMPARISON)
    quarters = {(to_local(h.starts_at).month - 1) // 3 + 1 for h in held}
    missing = [
        _("Quarter %(n)d", n=q) for q in range(1, 5) if q not in quarters and date(year.first.year, 3 * q, 28) < today()
    ]
    return RuleResult(
        "R5", _("Education, police and civil affairs compared their data every quarter"), not missing, missing
    )


def rule_r6(year: Period) -> RuleResult:
    directors = dict(
        db.session.execute(
            select(user_villages.c.village_id, func.count(user_villages.c.user_id))
            .join(User, User.id == user_villages.c.user_id)
            .where(User.role == Role.CHILD_DIRECTOR, User.is_active)
            .group_by(user_villages.c.village_id)
        ).all()
    )
    children = dict(
        db.session.execute(
            select(Child.village_id, func.count(Child.id))
            .where(Child.status == ChildStatus.ACTIVE)
            .group_by(Child.village_id)
        ).all()
    )
    missing = []
    for village in db.session.scalars(
        select(Village).join(Village.town).where(Village.is_active).order_by(Town.sort_order, Village.name_zh)
    ):
        needed = 2 if children.get(village.id, 0) > 30 else 1
        if directors.get(village.id, 0) < needed:
            missing.append(_("%(village)s needs %(n)d child director(s)", village=localized_name(village), n=needed))
    mca = db.session.scalar(select(Organization.id).where(Organization.code == "mca"))
    if mca not in _orgs_holding(year, ActivityKind.DIRECTOR_TRAINING):
        missing.append(_("the county's demonstration training of child directors"))
    trainings = [h.id for h in _held(year, ActivityKind.DIRECTOR_TRAINING)]
    trained = (
        set(
            db.session.scalars(
                select(TrainingParticipant.user_id).where(TrainingParticipant.activity_id.in_(trainings))
            )
        )
        if trainings
        else set()
    )
    active = set(db.session.scalars(select(User.id).where(User.role == Role.CHILD_DIRECTOR, User.is_active)))
    untrained = len(active - trained)
    detail = _(
        "%(trained)d of %(all)d child directors trained this year", trained=len(active & trained), all=len(active)
    )
    if untrained:
        missing.append(_("%(n)d child director(s) not trained this year", n=untrained))
    title = _("A child director in every village, the county's demonstration training, every director trained")
    return RuleResult("R6", title, not missing, missing, detail)


def rule_r7() -> RuleResult:
    stations = set(
        db.session.scalars(
            select(Organization.town_id).where(
                Organization.kind == OrganizationKind.PROTECTION_STATION, Organization.is_active
            )
        )
    )
    missing = [
        localized_name(t) for t in db.session.scalars(select(Town).order_by(Town.sort_order)) if t.id not in stations
    ]
    return RuleResult("R7", _("A minors protection station in every town"), not missing, missing)


def rule_r8(year: Period) -> RuleResult:
    """Each town's progress report submitted before 1 November."""
    from app.reports.models import ProgressReport
    from app.reports.progress import is_late

    reports = {
        r.town_id: r for r in db.session.scalars(select(ProgressReport).where(ProgressReport.year == year.first.year))
    }
    missing = []
    for town in db.session.scalars(select(Town).order_by(Town.sort_order)):
        report = reports.get(town.id)
        if report is None or report.submitted_at is None:
            missing.append(_("%(town)s (not submitted)", town=localized_name(town)))
        elif is_late(report):
            missing.append(_("%(town)s (late)", town=localized_name(town)))
    return RuleResult("R8", _("Every town reported its progress before 1 November"), not missing, missing)


def compliance(year: Period) -> list[RuleResult]:
    return [rule_r1(year), rule_r2(year), rule_r4(year), rule_r5(year), rule_r6(year), rule_r7(), rule_r8(year)]
