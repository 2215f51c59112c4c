"""R3, the plan's visit rule, as Shouhu reads it: the policy, its calendar windows, the due lists, today's compliance.

The plan (task 8): 儿童主任至少每周联系一次，每月入户走访一次 — a child director contacts each child at least once a
week and visits the home at least once a month — and 加大走访频次, more often, where a parent has a severe physical or
intellectual disability or a mental illness, or the child has a disability or a psychological or behavioural
abnormality (the file's risk flags). The due lists, today's compliance and the yearly figures
(``app.reports.visit_rules``) all apply this one reading:

- A *contact* is any visit (phone, video or at home); a *home visit* is a visit at home.
- The periods are the calendar's: a week runs from Monday to Sunday, a month from its 1st to its last day.
- The policy (``current_policy``) gives each child two intervals in days: between contacts ``contact_days`` (7), or
  ``contact_days_risk`` (3) with a risk flag; between home visits ``home_days`` (30), or ``home_days_risk`` (14).
- "More often" means more *windows* per period, each needing one. A period is cut into as many windows as the
  child's interval fits into it, at least one: a week into ⌊7 / interval⌋, a month of L days into ⌊L / interval⌋.
  The windows are laid from the period's first day, each as long as the interval; the last runs to the period's end.
  With the defaults an ordinary child's week and month are one window each (the plan's words exactly), and a child
  with a risk flag needs a contact on Monday–Wednesday and on Thursday–Sunday of every week, and a home visit on the
  1st–14th and on the 15th–end of every month. No window crosses a period's end, so the weekly contact and the
  monthly home visit are the least any policy asks: the policy refuses intervals over 7 and 31 days, and a risk
  interval longer than the ordinary one.
- A child is judged from the window they came on record in (``Child.on_record_since``, entered or imported; not the
  day the row was written, so an imported history counts). Visits earlier in that window count too (the survey
  visit often comes before the file); the earlier windows of that period are not asked for.
- A window, and a period, is judged only once it has ended: the current one is in progress, never missed.
- Due: the next contact (home visit) is due by the last day of the window after the one the last contact (home
  visit) fell in; with none since the child came on record, by the last day of the window they came on record in.
  *Overdue* means that day has passed: a window ended without one. *Up to date* means neither is overdue.
- Risk flags are judged as they stand today: their history is not kept, so a child flagged in June is held to the
  stricter windows for the whole year, and one whose flag was removed to the ordinary ones.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Date, case, func, literal, select

from app.audit.services import record
from app.childcare.models import Child, ChildStatus, Visit, VisitKind, VisitPolicy
from app.domain import DomainError
from app.extensions import db

# The longest intervals a policy may set: a window never crosses its period's end (a week, a month of 31 days).
MAX_CONTACT_DAYS, MAX_HOME_DAYS = 7, 31
MAX_ESCALATION_DAYS = 90


class PolicyError(DomainError):
    pass


@dataclass(frozen=True)
class Policy:
    """The county's R3 intervals in days and how long a problem may stay unresolved before it escalates."""

    contact_days: int
    home_days: int
    contact_days_risk: int
    home_days_risk: int
    problem_escalation_days: int

    def contact_window(self, day: date, risky: bool) -> Window:
        return week_window(day, self.contact_days_risk if risky else self.contact_days)

    def home_window(self, day: date, risky: bool) -> Window:
        return month_window(day, self.home_days_risk if risky else self.home_days)


class Window(NamedTuple):
    first: date
    last: date


def week_window(day: date, interval: int) -> Window:
    """The window of a week (Monday to Sunday) cut into ⌊7 / interval⌋ windows that ``day`` falls in."""
    monday = day - timedelta(days=day.weekday())
    count = max(1, 7 // interval)
    index = min(day.weekday() // interval, count - 1)
    first = monday + timedelta(days=index * interval)
    return Window(first, monday + timedelta(days=6) if index == count - 1 else first + timedelta(days=interval - 1))


def month_window(day: date, interval: int) -> Window:
    """The window of a month of L days cut into ⌊L / interval⌋ windows that ``day`` falls in."""
    length = calendar.monthrange(day.year, day.month)[1]
    count = max(1, length // interval)
    index = min((day.day - 1) // interval, count - 1)
    first = day.replace(day=1 + index * interval)
    return Window(first, day.replace(day=length) if index == count - 1 else first + timedelta(days=interval - 1))


def due_day(on_record_since: date, last: date | None, window_of: Callable[[date], Window]) -> date:
    """The last day the next contact (home visit) may be made on: the end of the window after the last one's, or
    of the window the child came on record in when there has been none since."""
    start = window_of(on_record_since)
    if last is None or last < start.first:
        return start.last
    return window_of(window_of(last).last + timedelta(days=1)).last


def current_policy() -> Policy:
    """The administrator's newest policy, else the settings' (the plan's defaults)."""
    row = db.session.scalar(select(VisitPolicy).order_by(VisitPolicy.id.desc()).limit(1))
    if row is not None:
        return Policy(
            row.contact_days, row.home_days, row.contact_days_risk, row.home_days_risk, row.problem_escalation_days
        )
    config = current_app.config
    return Policy(
        config["VISIT_CONTACT_DAYS"],
        config["VISIT_HOME_DAYS"],
        config["VISIT_CONTACT_DAYS_RISK"],
        config["VISIT_HOME_DAYS_RISK"],
        config["PROBLEM_ESCALATION_DAYS"],
    )


def set_visit_policy(policy: Policy, *, by) -> VisitPolicy:
    """Save the county's R3 policy (a new row: the newest wins, the old ones stay as its history), audited with the
    previous values. Contacts at least weekly (1–7 days), home visits at least monthly (1–31), a risk-flagged
    child's intervals no longer than the ordinary ones, problems escalating after 1–90 days."""
    limits = (
        ("contact_days", MAX_CONTACT_DAYS),
        ("home_days", MAX_HOME_DAYS),
        ("contact_days_risk", MAX_CONTACT_DAYS),
        ("home_days_risk", MAX_HOME_DAYS),
        ("problem_escalation_days", MAX_ESCALATION_DAYS),
    )
    for name, most in limits:
        value = getattr(policy, name)
        if not isinstance(value, int) or not 1 <= value <= most:
            raise PolicyError("out_of_range", _("Between 1 and %(max)d days.", max=most), field=name)
    if policy.contact_days_risk > policy.contact_days:
        raise PolicyError(
            "risk_contact_longer",
            _("With a risk flag a child is contacted more often: at most %(n)d days.", n=policy.contact_days),
            field="contact_days_risk",
        )
    if policy.home_days_risk > policy.home_days:
        raise PolicyError(
            "risk_home_longer",
            _("With a risk flag the home is visited more often: at most %(n)d days.", n=policy.home_days),
            field="home_days_risk",
        )
    previous = current_policy()
    row = VisitPolicy(
        contact_days=policy.contact_days,
        home_days=policy.home_days,
        contact_days_risk=policy.contact_days_risk,
        home_days_risk=policy.home_days_risk,
        problem_escalation_days=policy.problem_escalation_days,
        updated_by_id=by.id,
    )
    db.session.add(row)
    db.session.flush()
    changes = {
        f.name: [getattr(previous, f.name), getattr(policy, f.name)]
        for f in fields(Policy)
        if getattr(previous, f.name) != getattr(policy, f.name)
    }
    record("settings.visit_policy", row, actor=by, changes=changes)
    return row


@dataclass
class VisitDue:
    child: Child
    last_contact: date | None
    last_home_visit: date | None
    contact_due: date
    home_due: date

    @property
    def next_due(self) -> date:
        return min(self.contact_due, self.home_due)

    @property
    def home_visit_first(self) -> bool:
        """The home visit is due first (it is also a contact)."""
        return self.home_due <= self.contact_due

    def days_left(self, today: date) -> int:
        return (self.next_due - today).days

    def is_overdue(self, today: date) -> bool:
        return self.next_due < today


def visits_due(children_query) -> list[VisitDue]:
    """Due dates for the active children a (scoped) ``select(Child)`` returns, in two queries."""
    children = list(db.session.scalars(children_query.where(Child.status == ChildStatus.ACTIVE)))
    ids = [c.id for c in children]
    last_any: dict[int, date] = {}
    last_home: dict[int, date] = {}
    if ids:
        rows = db.session.execute(
            select(Visit.child_id, Visit.kind, func.max(Visit.visited_on))
            .where(Visit.child_id.in_(ids))
            .group_by(Visit.child_id, Visit.kind)
        )
        for child_id, kind, day in rows:
            last_any[child_id] = max(day, last_any.get(child_id, day))
            if kind == VisitKind.HOME:
                last_home[child_id] = day
    policy = current_policy()
    result = []
    for child in children:
        risky = bool(child.risk_flags)
        contact, home = last_any.get(child.id), last_home.get(child.id)
        result.append(
            VisitDue(
                child,
                contact,
                home,
                due_day(child.on_record_since, contact, partial(policy.contact_window, risky=risky)),
                due_day(child.on_record_since, home, partial(policy.home_window, risky=risky)),
            )
        )
    return result


def overdue_or_due_soon(children_query, today: date, within_days: int = 7) -> list[VisitDue]:
    """The child director's work list: overdue first (most overdue at the top), then due within a week."""
    due = [d for d in visits_due(children_query) if d.days_left(today) <= within_days]
    return sorted(due, key=lambda d: (d.next_due, d.child.name))


@dataclass
class Compliance:
    label: str
    children: int
    up_to_date: int
    risk_children: int
    risk_up_to_date: int

    @property
    def share(self) -> float | None:
        return self.up_to_date / self.children if self.children else None

    @property
    def risk_share(self) -> float | None:
        return self.risk_up_to_date / self.risk_children if self.risk_children else None


def has_risk_flag():
    """SQL: the child has at least one risk flag (judged by the stricter windows)."""
    return func.coalesce(func.json_array_length(Child.risk_flags), 0) > 0


def compliance_by(children_query, today: date, breakdowns: Sequence[tuple[str, dict]]) -> list[list[Compliance]]:
    """For each breakdown ``(column, labels)`` — a ``Child`` column (village, director, town) and the labels of its
    values — the share of active children up to date today (neither contact nor home visit overdue, the rule of
    ``due_day``) per label. Not overdue means: a visit since the start of the window before today's, or on record
    only since today's window. One aggregate statement; per child, one index lookup per kind."""
    policy = current_policy()
    risky = has_risk_flag()

    def visited(*conditions):
        return select(Visit.id).where(Visit.child_id == Child.id, *conditions).exists()

    def ok(window_of, *conditions):
        """Per risk: the start of today's window and of the one before; a visit since the latter, or on record
        since the former."""
        checks = {}
        for flag in (True, False):
            current = window_of(today, flag)
            before = window_of(current.first - timedelta(days=1), flag)
            checks[flag] = visited(*conditions, Visit.visited_on >= before.first) | (
                Child.on_record_since >= literal(current.first, Date)
            )
        return case((risky, checks[True]), else_=checks[False])

    contact_ok = ok(policy.contact_window)
    home_ok = ok(policy.home_window, Visit.kind == VisitKind.HOME)
    groups = [getattr(Child, column) for column, _labels in breakdowns]
    rows = db.session.execute(
        children_query.with_only_columns(
            *groups, risky, func.count(), func.sum(case((contact_ok & home_ok, 1), else_=0))
        )
        .where(Child.status == ChildStatus.ACTIVE)
        .group_by(*groups, risky)
    )
    width = len(breakdowns)
    counts: list[dict[str, list[int]]] = [defaultdict(lambda: [0, 0, 0, 0]) for _ in breakdowns]
    for row in rows:
        group_values, (risk, children, up_to_date) = row[:width], row[width:]
        for group, (_column, labels), table in zip(group_values, breakdowns, counts, strict=True):
            line = table[labels.get(group, "—")]
            line[0] += children
            line[1] += int(up_to_date or 0)
            if risk:
                line[2] += children
                line[3] += int(up_to_date or 0)
    return [[Compliance(label, *line) for label, line in sorted(table.items())] for table in counts]


def groupings(user) -> list[tuple[str, str, dict]]:
    """How a user's visit figures are broken down: by town for the county, by village and by child director for a
    town's supervisor. (title, the ``Child`` column grouped by, {its value: label})."""
    from app.auth.models import User
    from app.directory.models import Town, Village
    from app.i18n import localized_name
    from app.permissions import is_admin

    directors = select(Child.director_id).where(Child.director_id.is_not(None)).distinct()
    people = db.session.execute(select(User.id, User.name, User.username).where(User.id.in_(directors))).all()
    names = Counter(name for _id, name, _username in people)
    # Two directors of the same name are told apart by their account names, not merged into one row.
    by_director = (
        _("By child director"),
        "director_id",
        {id_: f"{name} ({username})" if names[name] > 1 else name for id_, name, username in people},
    )
    if is_admin(user):
        return [
            (_("By town"), "town_id", {t.id: localized_name(t) for t in db.session.scalars(select(Town))}),
            by_director,
        ]
    return [
        (
            _("By village or community"),
            "village_id",
            {v.id: localized_name(v) for v in db.session.scalars(select(Village))},
        ),
        by_director,
    ]
