"""Read-side helpers shared by the activity pages: listings, free places, a volunteer's sign-ups and hours."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, over, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from app.activities.models import (
    Activity,
    ActivityKind,
    ActivityState,
    ActivityStatus,
    Shift,
    ShiftState,
    Signup,
    SignupStatus,
    service_minutes,
)
from app.db_types import utcnow
from app.directory.models import Organization, Town
from app.extensions import db

CARDS_PER_PAGE = 20


class ActivityCard(NamedTuple):
    """One activity in a list: what its card shows, with its free volunteer places summed over its shifts."""

    activity: Activity
    organization: Organization
    town: Town | None
    free: int


def _upcoming(query, *, town_id: int | None, kind: str | None, since: datetime | None):
    """``query`` limited to published activities not yet over, optionally of a town, a kind and from a date."""
    query = query.where(Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at > utcnow())
    if town_id:
        query = query.where(Activity.town_id == town_id)
    if kind in {k.value for k in ActivityKind}:
        query = query.where(Activity.kind == ActivityKind(kind))
    if since is not None:
        query = query.where(Activity.ends_at >= since)
    return query


@cache
def _cards_statement():
    """A card's free places (per activity row, a full shift counting 0) and the columns a card loads: built once,
    since building them costs more than running them."""
    confirmed = (
        select(func.count(Signup.id))
        .where(Signup.shift_id == Shift.id, Signup.status == SignupStatus.CONFIRMED)
        .correlate(Shift)
        .scalar_subquery()
    )
    left = Shift.capacity - confirmed
    free = (
        select(func.coalesce(func.sum(case((left > 0, left), else_=0)), 0))
        .where(Shift.activity_id == Activity.id)
        .correlate(Activity)
        .scalar_subquery()
    )
    options = (
        load_only(
            Activity.code, Activity.title, Activity.kind, Activity.starts_at, Activity.organization_id, Activity.town_id
        ),
        load_only(Organization.name_zh, Organization.name_en),
        load_only(Town.name_zh, Town.name_en),
    )
    return free, options


def activity_cards(
    *,
    town_id: int | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    page: int = 1,
    per_page: int = CARDS_PER_PAGE,
) -> tuple[list[ActivityCard], int]:
    """A page of upcoming published activities, soonest first, optionally filtered by town, kind and start date, and
    how many there are in all (0 on a page past the end): the cards with their organization, town and free places
    in one query, the total riding along as a window count."""
    free, options = _cards_statement()
    chosen = (
        _upcoming(select(Activity.id, over(func.count()).label("total")), town_id=town_id, kind=kind, since=since)
        .order_by(Activity.starts_at, Activity.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page")
    )
    query = (
        select(Activity, Organization, Town, free, chosen.c.total)
        .join(chosen, chosen.c.id == Activity.id)
        .join(Activity.organization)
        .outerjoin(Activity.town)
        .options(*options)
        .order_by(Activity.starts_at, Activity.id)
    )
    rows = db.session.execute(query).all()
    return [ActivityCard(*row[:4]) for row in rows], rows[0][4] if rows else 0


def awaiting_close(now: datetime):
    """SQL: the activity has ended but is still open (published): it took place, but it is not *held* — it counts
    for no report or rule (``held_activity``) — until its coordinator closes it as completed."""
    return and_(Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at <= now)


def taken_places(shift_ids: list[int]) -> dict[int, int]:
    """Confirmed sign-ups per shift, in one query."""
    if not shift_ids:
        return {}
    rows = db.session.execute(
        select(Signup.shift_id, func.count(Signup.id))
        .where(Signup.shift_id.in_(shift_ids), Signup.status == SignupStatus.CONFIRMED)
        .group_by(Signup.shift_id)
    )
    return dict(rows.all())


@dataclass(eq=False)
class ActivityPage(ActivityState):
    """What the activity page a poster's QR code opens shows of the activity, read as plain rows (no ORM objects:
    on PostgreSQL making them cost more than the query): its status and times, what the cache keys hold, and its
    shifts with their places. The card's text (description, venue, organizers) comes from ``activity_card``."""

    id: int
    code: str
    title: str
    status: ActivityStatus
    starts_at: datetime
    ends_at: datetime
    sequence: int
    updated_at: datetime
    organization_id: int
    town_id: int | None
    village_id: int | None
    shifts: list[ShiftPlaces] = field(default_factory=list)

    @property
    def mine(self) -> bool:
        """The volunteer holds a sign-up on one of its shifts (always False for an anonymous visitor)."""
        return any(shift.mine for shift in self.shifts)


@dataclass(eq=False)
class ShiftPlaces(ShiftState):
    """A shift of an ``ActivityPage``: its times and places, how many are confirmed and waiting, and, for a logged-in
    volunteer, whether they hold a sign-up on it and their place in line (None when confirmed)."""

    activity: ActivityPage
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    role: str
    confirmed: int
    waiting: int
    mine: bool = False
    place_in_line: int | None = None

    @property
    def free(self) -> int:
        return max(self.capacity - self.confirmed, 0)


# The columns of ``_activity_page_statement``, in its order, named as the page model's fields.
ACTIVITY_COLUMNS = tuple(f.name for f in fields(ActivityPage) if f.name != "shifts")
SHIFT_COLUMNS = ("id", "starts_at", "ends_at", "capacity", "role")


@cache
def _activity_page_statement(with_user: bool):
    """The activity page's query for ``:code`` (and the volunteer ``:user_id``), on the tables (rows, not objects):
    built once, since building it (the aliases above all) costs more than running it."""
    activities, shifts, signups = Activity.__table__, Shift.__table__, Signup.__table__

    def count(status: SignupStatus):
        return (
            select(func.count(signups.c.id))
            .where(signups.c.shift_id == shifts.c.id, signups.c.status == status)
            .correlate(shifts)
            .scalar_subquery()
        )

    query = (
        select(
            *(activities.c[name] for name in ACTIVITY_COLUMNS),
            *(shifts.c[name] for name in SHIFT_COLUMNS),
            count(SignupStatus.CONFIRMED),
            count(SignupStatus.WAITLISTED),
        )
        .select_from(shifts.join(activities, activities.c.id == shifts.c.activity_id))
        .where(activities.c.code == bindparam("code"))
        .order_by(shifts.c.starts_at, shifts.c.id)
    )
    if not with_user:
        return query
    mine, ahead = signups.alias("mine"), signups.alias("ahead")
    earlier = (ahead.c.queued_at < mine.c.queued_at) | (
        (ahead.c.queued_at == mine.c.queued_at) & (ahead.c.id < mine.c.id)
    )
    position = (
        select(func.count(ahead.c.id) + 1)
        .where(ahead.c.shift_id == mine.c.shift_id, ahead.c.status == SignupStatus.WAITLISTED, earlier)
        .correlate(mine)
        .scalar_subquery()
    )
    own = (
        (mine.c.shift_id == shifts.c.id)
        & (mine.c.user_id == bindparam("user_id"))
        & (mine.c.status != SignupStatus.CANCELLED)
    )
    return query.add_columns(mine.c.id, case((mine.c.status == SignupStatus.WAITLISTED, position))).outerjoin(mine, own)


def activity_page(code: str, user_id: int | None = None) -> ActivityPage | None:
    """The activity with ``code``, its shifts and places, and each shift's confirmed and waitlisted counts, in one
    query as plain rows (the page a poster's QR code opens); with ``user_id``, in the same query, that volunteer's
    own sign-ups that are not cancelled, with their place on the waitlist. None when there is no such activity."""
    query = _activity_page_statement(user_id is not None)
    params = {"code": code} if user_id is None else {"code": code, "user_id": user_id}
    return page_from_rows(db.session.connection().execute(query, params).all())


def page_from_rows(rows) -> ActivityPage | None:
    """The ``ActivityPage`` of ``_activity_page_statement``'s rows (None when there are none)."""
    if not rows:
        return None
    activity_end = len(ACTIVITY_COLUMNS)
    shift_end = activity_end + len(SHIFT_COLUMNS)
    page = ActivityPage(**dict(zip(ACTIVITY_COLUMNS, rows[0][:activity_end], strict=True)))
    for row in rows:
        confirmed, waiting, *own = row[shift_end:]
        columns = dict(zip(SHIFT_COLUMNS, row[activity_end:shift_end], strict=True))
        shift = ShiftPlaces(page, **columns, confirmed=confirmed, waiting=waiting)
        if own and own[0] is not None:  # the volunteer's sign-up on it, and their place in line
            shift.mine, shift.place_in_line = True, own[1]
        page.shifts.append(shift)
    return page


def activity_card(activity_id: int) -> Activity:
    """The activity with the names its card shows (organization, co-organizers, town, village): one statement for
    the activity and its three places and one for the co-organizers."""
    return db.session.scalars(
        select(Activity)
        .where(Activity.id == activity_id)
        .options(
            joinedload(Activity.organization),
            joinedload(Activity.town),
            joinedload(Activity.village),
            selectinload(Activity.coorganizers),
        )
    ).one()


def waitlist_lengths(shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = db.session.execute(
        select(Signup.shift_id, func.count(Signup.id))
        .where(Signup.shift_id.in_(shift_ids), Signup.status == SignupStatus.WAITLISTED)
        .group_by(Signup.shift_id)
    )
    return dict(rows.all())


def signups_of(user_id: int) -> list[Signup]:
    """Every sign-up of a volunteer with its shift, activity and organization loaded."""
    return list(
        db.session.scalars(
            select(Signup)
            .join(Signup.shift)
            .options(
                selectinload(Signup.shift).selectinload(Shift.activity).selectinload(Activity.organization),
                selectinload(Signup.shift).selectinload(Shift.activity).selectinload(Activity.town),
            )
            .where(Signup.user_id == user_id)
            .order_by(Shift.starts_at)
        )
    )


def total_minutes(signups: list[Signup]) -> int:
    return sum(service_minutes(s) for s in signups)


def organization_service_minutes(organization_id: int | None, since: datetime | None = None) -> int:
    """Volunteer minutes served at an organization's activities (all organizations when None): one SUM."""
    query = (
        select(func.coalesce(func.sum(Signup.minutes), 0))
        .join(Signup.shift)
        .join(Shift.activity)
        .where(Signup.status == SignupStatus.CONFIRMED)
    )
    if organization_id is not None:
        query = query.where(Activity.organization_id == organization_id)
    if since is not None:
        query = query.where(Shift.starts_at >= since)
    return db.session.scalar(query)
