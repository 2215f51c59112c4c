"""The plan's countable rules for a year, each with its verdict and the bodies behind it.

R1 safety-knowledge-into-villages events by six bodies; R2 school safety lectures before each vacation; R3 weekly
contacts and monthly home visits; R4 file checks; R5 quarterly data comparisons; R6 child directors in every village
(more above 30 children), the county demonstration training and every director trained; R7 a minors protection
station in every town; R8 each town's progress report before 1 November.

Each rule lists what is still missing with the day it is due by: a rule is *met* when nothing is missing, *not met*
when something is past its day, and *in progress* while the missing things may still be done in time (the current
year's lectures, checks and reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from app.activities.models import Activity, ActivityKind, TrainingParticipant, activity_coorganizers, held_activity
from app.auth.models import Role, User, user_villages
from app.childcare.models import CheckLevel, Child, ChildStatus, FileCheck
from app.childcare.services import today
from app.directory.models import Organization, OrganizationKind, Town, Village
from app.extensions import db
from app.i18n import localized_name
from app.labels import label
from app.reports.periods import Period, vacation
from app.reports.visit_rules import child_shares
from app.timeutils import local_to_utc, to_local

R1_BODIES = ["education", "police", "mca", "youth-league", "womens-federation", "wcwc"]
LECTURE_WINDOW_DAYS = 60  # a lecture "before the vacation" is one held in the two months before it starts


MET, NOT_MET, IN_PROGRESS = "met", "not_met", "in_progress"
STATUS_LABELS = {MET: _l("Met"), NOT_MET: _l("Not met"), IN_PROGRESS: _l("In progress")}


@dataclass
class RuleResult:
    code: str
    title: str
    # What is missing, each with the last day it may be done on.
    open: list[tuple[str, date]] = field(default_factory=list)
    detail: str = ""
    # (label, url) of the records behind the verdict: the activities held, the reports submitted...
    links: list[tuple[str, str]] = field(default_factory=list)
    today: date = field(default_factory=today)

    @property
    def missing(self) -> list[str]:
        """What is missing and past its day."""
        return [item for item, due in self.open if due < self.today]

    @property
    def upcoming(self) -> list[tuple[str, date]]:
        """What is missing but may still be done in time."""
        return [(item, due) for item, due in self.open if due >= self.today]

    @property
    def passed(self) -> bool:
        return not self.open

    @property
    def status(self) -> str:
        return MET if not self.open else NOT_MET if self.missing else IN_PROGRESS


def _activities_link(year: Period, kind: ActivityKind) -> tuple[str, str]:
    return (
        _("Activities held: %(kind)s", kind=label(kind)),
        url_for("reports.departments", year=year.first.year, kind=kind.value),
    )


def _held(year: Period, kind: ActivityKind) -> list[tuple[int, int, object]]:
    return _held_between(year.starts_at, year.ends_before, kind)


def _held_between(start, end, kind: ActivityKind) -> list[tuple[int, int, object]]:
    return db.session.execute(
        select(Activity.id, Activity.organization_id, Activity.starts_at).where(
            Activity.kind == kind,
            held_activity(),
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
    bodies = {b.code: b for b in db.session.scalars(select(Organization).where(Organization.code.in_(R1_BODIES)))}
    holding = _orgs_holding(year, ActivityKind.SAFETY_VILLAGE)
    missing = []
    for code in R1_BODIES:
        body = bodies.get(code)
        if body is None:
            missing.append(_("%(code)s (not in the directory)", code=code))
        elif body.id not in holding:
            missing.append(localized_name(body))
    return RuleResult(
        "R1",
        _("Each of six bodies held a safety-knowledge-into-villages event"),
        [(item, year.last) for item in missing],
        links=[_activities_link(year, ActivityKind.SAFETY_VILLAGE)],
    )


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
                item = _("%(school)s (before the %(vacation)s vacation)", school=localized_name(school), vacation=name)
                missing.append((item, before - timedelta(days=1)))
    return RuleResult(
        "R2",
        _("Every school held a safety lecture before each vacation"),
        missing,
        links=[
            _activities_link(year, ActivityKind.SAFETY_LECTURE),
            (_("Vacation dates"), url_for("reports.vacations", year=year.first.year)),
        ],
    )


def rule_r3(year: Period) -> RuleResult:
    """Every child contacted every week and visited at home every month, more often with a risk flag (the rule of
    ``app.childcare.visits``; the visits report breaks the shares down by town and child director). Only weeks and
    months that have ended are judged: while the year runs, the rest of it is still to do."""
    day = today()
    ((everyone, risky),) = child_shares(year.first.year, day, select(Child), [("town_id", {})])
    shares, risk = everyone.get("__all__"), risky.get("__all__")
    missing = []
    detail = ""
    yesterday = day - timedelta(days=1)
    if shares is not None:
        if shares.weeks_met < shares.weeks:
            missing.append((_("%(n)d child-weeks without a contact", n=shares.weeks - shares.weeks_met), yesterday))
        if shares.months_met < shares.months:
            missing.append(
                (_("%(n)d child-months without a home visit", n=shares.months - shares.months_met), yesterday)
            )
        detail = _(
            "Weeks with a contact: %(weeks)s; months with a home visit: %(months)s",
            weeks=_percent(shares.week_share),
            months=_percent(shares.month_share),
        )
        if risk is not None:
            detail += " · " + _(
                "with a risk flag: %(weeks)s / %(months)s",
                weeks=_percent(risk.week_share),
                months=_percent(risk.month_share),
            )
    if year.last >= day:
        # The current week and month are in progress, never missed; so is the rest of the year.
        if shares is None or not shares.weeks:
            missing.append((_("no week of the year has ended since the children came on record"), year.last))
        else:
            missing.append((_("the weeks and months still to come"), year.last))
    return RuleResult(
        "R3",
        _("Every child contacted every week and visited at home every month"),
        missing,
        detail,
        links=[
            (
                _("Visits over the year, by town and child director"),
                url_for("reports.visit_shares", year=year.first.year),
            )
        ],
    )


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def rule_r4(year: Period) -> RuleResult:
    """The county spot-checks files once a year; each town checks all its files (every active child's file, counted
    once however often it was checked). A check counts only when the right body recorded it: the county's spot
    check the administrator, a town's full check the supervisor of the child's own town (``can_record_check``); a
    row that breaks this (an older one, say) is not counted."""
    in_year = (FileCheck.checked_on >= year.first, FileCheck.checked_on <= year.last)
    by_county = (FileCheck.level == CheckLevel.COUNTY_SPOT) & (User.role == Role.ADMIN)
    own_supervisor = (User.role == Role.TOWN_SUPERVISOR) & (User.town_id == Child.town_id)
    by_own_town = (FileCheck.level == CheckLevel.TOWN_FULL) & own_supervisor

    def files_checked(*columns):
        return (
            select(*columns, func.count(distinct(FileCheck.child_id)))
            .join(User, User.id == FileCheck.checker_id)
            .join(Child, Child.id == FileCheck.child_id)
            .where(*in_year)
        )

    spot = db.session.scalar(files_checked().where(by_county))
    active = Child.status == ChildStatus.ACTIVE
    checked = dict(
        db.session.execute(files_checked(Child.town_id).where(by_own_town, active).group_by(Child.town_id)).all()
    )
    on_file = dict(db.session.execute(select(Child.town_id, func.count()).where(active).group_by(Child.town_id)).all())
    missing = [] if spot else [_("the county's spot check")]
    done = []
    for town in db.session.scalars(select(Town).where(Town.is_active).order_by(Town.sort_order)):
        files, files_checked = on_file.get(town.id, 0), checked.get(town.id, 0)
        if files_checked < files:
            missing.append(
                _(
                    "%(town)s's full check (%(checked)d of %(files)d files)",
                    town=localized_name(town),
                    checked=files_checked,
                    files=files,
                )
            )
        elif files:
            done.append(
                _("%(town)s %(checked)d of %(files)d", town=localized_name(town), checked=files_checked, files=files)
            )
    detail = _("Files checked by the county: %(n)d", n=spot)
    if done:
        detail += " · " + _("checked by the towns: %(towns)s", towns="、".join(done))
    return RuleResult(
        "R4",
        _("Files checked: the county's spot check and each town's full check"),
        [(item, year.last) for item in missing],
        detail,
    )


def rule_r5(year: Period) -> RuleResult:
    held = _held(year, ActivityKind.DATA_COMPARISON)
    quarters = {(to_local(h.starts_at).month - 1) // 3 + 1 for h in held}
    y = year.first.year
    quarter_ends = {q: date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1) for q in range(1, 5)}
    return RuleResult(
        "R5",
        _("Education, police and civil affairs compared their data every quarter"),
        [(_("Quarter %(n)d", n=q), end) for q, end in quarter_ends.items() if q not in quarters],
        links=[_activities_link(year, ActivityKind.DATA_COMPARISON)],
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
            item = _("%(village)s needs %(n)d child director(s)", village=localized_name(village), n=needed)
            missing.append((item, year.first))  # a standing rule: due at once
    mca = db.session.scalar(select(Organization.id).where(Organization.code == "mca"))
    if mca not in _orgs_holding(year, ActivityKind.DIRECTOR_TRAINING):
        missing.append((_("the county's demonstration training of child directors"), year.last))
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
        missing.append((_("%(n)d child director(s) not trained this year", n=untrained), year.last))
    title = _("A child director in every village, the county's demonstration training, every director trained")
    links = [
        _activities_link(year, ActivityKind.DIRECTOR_TRAINING),
        (_("Villages and communities"), url_for("directory.villages")),
    ]
    return RuleResult("R6", title, missing, detail, links)


def rule_r7(year: Period) -> RuleResult:
    stations = set(
        db.session.scalars(
            select(Organization.town_id).where(
                Organization.kind == OrganizationKind.PROTECTION_STATION, Organization.is_active
            )
        )
    )
    towns = db.session.scalars(select(Town).where(Town.is_active).order_by(Town.sort_order))
    return RuleResult(
        "R7",
        _("A minors protection station in every town"),
        [(localized_name(t), year.first) for t in towns if t.id not in stations],  # a standing rule
        links=[
            (
                _("Minors protection stations"),
                url_for("directory.organizations", kind=OrganizationKind.PROTECTION_STATION.value),
            )
        ],
    )


def rule_r8(year: Period) -> RuleResult:
    """Each town's progress report submitted before 1 November."""
    from app.reports.models import ProgressReport
    from app.reports.progress import is_late, is_returned

    reports = {
        r.town_id: r for r in db.session.scalars(select(ProgressReport).where(ProgressReport.year == year.first.year))
    }
    deadline = date(year.first.year, 10, 31)
    missing = []
    for town in db.session.scalars(select(Town).where(Town.is_active).order_by(Town.sort_order)):
        report = reports.get(town.id)
        if report is not None and is_returned(report):
            missing.append((_("%(town)s (returned for revision)", town=localized_name(town)), deadline))
        elif report is None or report.submitted_at is None:
            missing.append((_("%(town)s (not submitted)", town=localized_name(town)), deadline))
        elif is_late(report):
            missing.append((_("%(town)s (late)", town=localized_name(town)), year.first))  # late stays late
    return RuleResult(
        "R8",
        _("Every town reported its progress before 1 November"),
        missing,
        links=[(_("Town progress reports"), url_for("reports.progress_overview", year=year.first.year))],
    )


def compliance(year: Period) -> list[RuleResult]:
    rules = (rule_r1, rule_r2, rule_r3, rule_r4, rule_r5, rule_r6, rule_r7, rule_r8)
    return [rule(year) for rule in rules]
