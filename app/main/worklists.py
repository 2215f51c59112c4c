"""The queries behind every role's worklist: what needs each person, first thing on their home page.

Every list is scoped by ``app.permissions`` (a child director's villages, a supervisor's town, a coordinator's
organization), capped on the home page with its full length beside it, and costs a fixed number of statements
whatever the number of rows (related rows are loaded in the same statement, never one by one).

- Child director: open problems on their files raised by others (at an activity, by a mentor, a supervisor, the
  county), then their own; visits overdue, then due soon; files at their age limit to confirm closing.
- Town supervisor: problems of their town left unresolved longer than the policy's escalation days, oldest first.
- Administrator: the county's escalated problems counted per town.
- Coordinator: their organization's activities that have ended but are not closed (not yet *held*), pairings the
  system ended (a mentor's account deleted) until noted, open pairing proposals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.activities.models import Activity
from app.activities.queries import awaiting_close
from app.auth.models import User
from app.childcare.ages import age_limit, files_at_age_limit
from app.childcare.models import Child, ChildStatus, Problem, ProblemSource, ProblemStatus
from app.childcare.services import mask_name
from app.childcare.visits import VisitDue, current_policy, overdue_or_due_soon
from app.directory.models import Town
from app.extensions import db
from app.mentoring.models import Pairing, PairingEndCause, PairingProposal, ProposalStatus
from app.permissions import (
    child_scope,
    is_admin,
    is_child_director,
    is_town_supervisor,
    organization_scope,
)

CAP = 10  # rows of each list on the home page; the rest behind "see all"
VISITS_CAP = 5  # visits have their own page (children.visits_due_view): a shorter list
PAGE = 50  # rows per page of a full list


@dataclass
class Capped:
    """The first rows of a list and how many there are in all."""

    items: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> bool:
        return self.total > len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class ProblemItem:
    problem: Problem
    child: Child
    origin: str  # where it came from, in the reader's language
    days_open: int

    @property
    def is_new(self) -> bool:
        """Nobody has taken it in hand yet."""
        return self.problem.status == ProblemStatus.OPEN


def escalation_days() -> int:
    """How many days a problem may stay unresolved (open or in hand) before the town supervisor hears of it: the
    visit policy's setting (default 7). The one place the worklists read it."""
    return current_policy().problem_escalation_days


def unresolved():
    """SQL: the problem is still open or in hand."""
    return Problem.status.in_([ProblemStatus.OPEN, ProblemStatus.IN_HAND])


def problem_origin(problem: Problem, reader: User) -> str:
    """Where a problem came from, as ``reader`` would say it in their language: the activity it was noted at, a
    mentor, a file check, the town supervisor, the county, the (or another) child director, or the reader."""
    author = problem.author
    if problem.source == ProblemSource.ACTIVITY:
        if problem.activity is not None:
            return _("Concern noted at activity “%(title)s”", title=problem.activity.title)
        return _("Concern noted at an activity")
    if problem.source == ProblemSource.MENTORING:
        return _("Raised by a mentor")
    if problem.source == ProblemSource.CHECK:
        if is_admin(author):
            return _("Noted at the county's spot check")
        if is_town_supervisor(author):
            return _("Noted at the town supervisor's file check")
        return _("Noted at a file check")
    if author.id == reader.id:
        return _("Raised by you")
    if is_town_supervisor(author):
        return _("Raised by the town supervisor")
    if is_admin(author):
        return _("Raised by the county")
    if is_child_director(author):
        return _("Raised by another child director") if is_child_director(reader) else _("Raised by the child director")
    return _("Raised by %(name)s", name=author.display_name)


def _problems(user: User, *conditions, order, day: date, limit: int | None, offset: int = 0) -> Capped:
    """Unresolved problems on the active files ``user`` may see, with their child, author and activity: two
    statements (the rows, the count)."""
    query = child_scope(
        select(Problem, Child)
        .join(Child, Child.id == Problem.child_id)
        .where(unresolved(), Child.status == ChildStatus.ACTIVE, *conditions),
        user,
    )
    rows = db.session.execute(
        query.options(joinedload(Problem.author), joinedload(Problem.activity), selectinload(Child.village))
        .order_by(*order, Problem.id)
        .offset(offset)
        .limit(limit)
    ).all()
    total = db.session.scalar(query.with_only_columns(func.count(Problem.id)).order_by(None))
    items = [
        ProblemItem(problem, child, problem_origin(problem, user), (day - problem.found_on).days)
        for problem, child in rows
    ]
    return Capped(items, total or 0)


# Not yet taken in hand first, then the longest waiting.
_DIRECTOR_ORDER = (case((Problem.status == ProblemStatus.OPEN, 0), else_=1), Problem.found_on)


def raised_by_others(user: User, day: date, *, limit: int | None = CAP, offset: int = 0) -> Capped:
    """Open problems on the child director's files raised by anyone else: a coordinator or director at an
    activity, a mentor's session, a supervisor, the county, another director. Open before in hand, oldest first."""
    return _problems(user, Problem.author_id != user.id, order=_DIRECTOR_ORDER, day=day, limit=limit, offset=offset)


def own_problems(user: User, day: date, *, limit: int | None = CAP, offset: int = 0) -> Capped:
    """The open problems the child director raised on their own files."""
    return _problems(user, Problem.author_id == user.id, order=_DIRECTOR_ORDER, day=day, limit=limit, offset=offset)


def escalated(
    user: User,
    day: date,
    *,
    days: int | None = None,
    town_id: int | None = None,
    limit: int | None = CAP,
    offset: int = 0,
) -> Capped:
    """Problems on the files ``user`` may see (a supervisor: their town) left unresolved longer than the escalation
    ``days`` (the policy's unless given), counted from the day each was found: found 8 days ago is past 7. Oldest
    first."""
    days = escalation_days() if days is None else days
    conditions = [Problem.found_on < day - timedelta(days=days)]
    if town_id is not None:
        conditions.append(Child.town_id == town_id)
    return _problems(user, *conditions, order=(Problem.found_on,), day=day, limit=limit, offset=offset)


def escalated_by_town(user: User, day: date, *, days: int | None = None) -> list[tuple[Town, int]]:
    """Every town with how many of its problems are past the escalation days (the county's view; the rule of
    ``escalated``): one statement for the counts, one for the towns."""
    cutoff = day - timedelta(days=escalation_days() if days is None else days)
    counts = dict(
        db.session.execute(
            child_scope(
                select(Child.town_id, func.count(Problem.id))
                .join(Child, Child.id == Problem.child_id)
                .where(unresolved(), Child.status == ChildStatus.ACTIVE, Problem.found_on < cutoff)
                .group_by(Child.town_id),
                user,
            )
        ).all()
    )
    towns = db.session.scalars(select(Town).order_by(Town.sort_order, Town.id))
    return [(town, counts.get(town.id, 0)) for town in towns]


@dataclass
class Visits:
    overdue: Capped
    due_soon: Capped

    @property
    def total(self) -> int:
        return self.overdue.total + self.due_soon.total


def visits(user: User, day: date) -> Visits:
    """The child director's visits overdue (most overdue first) and due within a week (``overdue_or_due_soon``)."""
    due: list[VisitDue] = overdue_or_due_soon(
        child_scope(select(Child).options(selectinload(Child.village)), user), day
    )
    late = [d for d in due if d.is_overdue(day)]
    soon = [d for d in due if not d.is_overdue(day)]
    return Visits(Capped(late[:VISITS_CAP], len(late)), Capped(soon[:VISITS_CAP], len(soon)))


def at_age_limit(user: User, day: date, *, limit: int | None = CAP) -> Capped:
    """Files of the user's scope whose child has reached the file's age limit (``files_at_age_limit``), each as
    (child, its age limit), for the director to confirm closing: nothing closes by itself."""
    children = files_at_age_limit(child_scope(select(Child).options(selectinload(Child.village)), user), day)
    return Capped([(child, age_limit(child.categories)) for child in children[:limit]], len(children))


def ended_not_closed(user: User, now: datetime, *, limit: int | None = CAP, offset: int = 0) -> Capped:
    """The coordinator's activities that have ended but are still open (published): not held until closed, so they
    count for no report; the longest waiting first."""
    query = organization_scope(select(Activity).where(awaiting_close(now)), Activity.organization_id, user)
    items = list(
        db.session.scalars(
            query.options(selectinload(Activity.town))
            .order_by(Activity.ends_at, Activity.id)
            .offset(offset)
            .limit(limit)
        )
    )
    return Capped(items, db.session.scalar(query.with_only_columns(func.count(Activity.id))) or 0)


def ended_by_system(user: User, *, limit: int | None = CAP) -> Capped:
    """Pairings of the coordinator's organization the system ended (the mentor's account was deleted) that nobody
    has noted yet: the child needs a new mentor. Each as (pairing, the child's masked name: 张*明)."""
    query = organization_scope(
        select(Pairing).where(Pairing.end_cause == PairingEndCause.MENTOR_DELETED, Pairing.end_noted_at.is_(None)),
        Pairing.organization_id,
        user,
    )
    items = list(
        db.session.scalars(query.options(joinedload(Pairing.child)).order_by(Pairing.ended_on, Pairing.id).limit(limit))
    )
    items = [(pairing, mask_name(pairing.child.name)) for pairing in items]
    return Capped(items, db.session.scalar(query.with_only_columns(func.count(Pairing.id))) or 0)


def open_proposals(user: User) -> int:
    """How many children directors have proposed to the coordinator's organization for a mentor, still open."""
    query = organization_scope(
        select(func.count(PairingProposal.id)).where(PairingProposal.status == ProposalStatus.OPEN),
        PairingProposal.organization_id,
        user,
    )
    return db.session.scalar(query) or 0
