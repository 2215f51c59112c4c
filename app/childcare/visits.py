"""R3 visit rules: contact every child weekly and visit the home monthly; risk-flagged children more often.

The intervals are settings (``VISIT_CONTACT_DAYS``, ``VISIT_HOME_DAYS``, ``VISIT_HOME_DAYS_RISK``) with the plan's
defaults, so a county can tighten them without a code change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, case, func, literal, select

from app.childcare.models import Child, ChildStatus, Visit, VisitKind, VisitPolicy
from app.extensions import db
from app.sql import LocalDate
from app.timeutils import to_local


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

    def days_left(self, today: date) -> int:
        return (self.next_due - today).days

    def is_overdue(self, today: date) -> bool:
        return self.next_due < today


def current_policy() -> tuple[int, int, int]:
    """(contact days, home-visit days, home-visit days with a risk flag): the administrator's, else the settings'."""
    policy = db.session.scalar(select(VisitPolicy).order_by(VisitPolicy.id.desc()).limit(1))
    if policy is not None:
        return policy.contact_days, policy.home_days, policy.home_days_risk
    config = current_app.config
    return config["VISIT_CONTACT_DAYS"], config["VISIT_HOME_DAYS"], config["VISIT_HOME_DAYS_RISK"]


def intervals(risk_flags: list[str], policy: tuple[int, int, int] | None = None) -> tuple[int, int]:
    """(days between contacts, days between home visits) for a child with these risk flags under the policy."""
    contact, home, home_risk = policy or current_policy()
    return contact, home_risk if risk_flags else home


def _due(opened: date, contact: date | None, home: date | None, days: tuple[int, int]) -> tuple[date, date]:
    """(contact due, home visit due): the interval after the last one, or at once when there has been none."""
    contact_days, home_days = days
    return (
        (contact or opened) + timedelta(days=contact_days if contact else 0),
        (home or opened) + timedelta(days=home_days if home else 0),
    )


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
    result = []
    policy = current_policy()
    for child in children:
        contact, home = last_any.get(child.id), last_home.get(child.id)
        contact_due, home_due = _due(
            to_local(child.created_at).date(), contact, home, intervals(child.risk_flags, policy)
        )
        result.append(VisitDue(child, contact, home, contact_due, home_due))
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
    """SQL: the child has at least one risk flag (home visits fall due sooner)."""
    return func.coalesce(func.json_array_length(Child.risk_flags), 0) > 0


def compliance_by(children_query, today: date, breakdowns: Sequence[tuple[str, dict]]) -> list[list[Compliance]]:
    """For each breakdown ``(column, labels)`` — a ``Child`` column (village, director, town) and the labels of its
    values — the share of active children not overdue today per label, by the rule ``_due`` applies: due at once
    (on the day the file was opened) without a visit, else the interval after the last one. One aggregate statement;
    per child, index lookups: is there a contact (home visit) at all, and one since the cut-off day?"""
    contact_days, home_days, home_days_risk = current_policy()
    risky = has_risk_flag()
    opened_today = LocalDate(Child.created_at) >= today

    def visited(*conditions):
        return select(Visit.id).where(Visit.child_id == Child.id, *conditions).exists()

    home = Visit.kind == VisitKind.HOME
    home_cutoff = case(
        (risky, literal(today - timedelta(days=home_days_risk), Date)),
        else_=literal(today - timedelta(days=home_days), Date),
    )
    contact_ok = case(
        (visited(), visited(Visit.visited_on >= today - timedelta(days=contact_days))), else_=opened_today
    )
    home_ok = case((visited(home), visited(home, Visit.visited_on >= home_cutoff)), else_=opened_today)
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
    from flask_babel import gettext as _

    from app.auth.models import Role, User
    from app.directory.models import Town, Village
    from app.i18n import localized_name

    directors = select(Child.director_id).where(Child.director_id.is_not(None)).distinct()
    people = db.session.execute(select(User.id, User.name, User.username).where(User.id.in_(directors))).all()
    names = Counter(name for _id, name, _username in people)
    # Two directors of the same name are told apart by their account names, not merged into one row.
    by_director = (
        _("By child director"),
        "director_id",
        {id_: f"{name} ({username})" if names[name] > 1 else name for id_, name, username in people},
    )
    if user.role == Role.ADMIN:
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
