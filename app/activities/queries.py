"""Read-side helpers shared by the activity pages: listings, free places, a volunteer's sign-ups and hours."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, over, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.activities.models import Activity, ActivityKind, ActivityStatus, Shift, Signup, SignupStatus, service_minutes
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


def _count(shift_status: SignupStatus):
    return (
        select(func.count(Signup.id))
        .where(Signup.shift_id == Shift.id, Signup.status == shift_status)
        .correlate(Shift)
        .scalar_subquery()
    )


@cache
def _activity_page_statement(with_user: bool):
    """The activity page's query for ``:code`` (and the volunteer ``:user_id``): built once, since building it (the
    aliases above all) costs more than running it."""
    query = (
        select(Shift, _count(SignupStatus.CONFIRMED), _count(SignupStatus.WAITLISTED))
        .join(Shift.activity)
        .options(contains_eager(Shift.activity))
        .where(Activity.code == bindparam("code"))
        .order_by(Shift.starts_at, Shift.id)
    )
    if not with_user:
        return query
    mine, ahead = aliased(Signup, name="mine"), aliased(Signup, name="ahead")
    earlier = (ahead.queued_at < mine.queued_at) | ((ahead.queued_at == mine.queued_at) & (ahead.id < mine.id))
    position = (
        select(func.count(ahead.id) + 1)
        .where(ahead.shift_id == mine.shift_id, ahead.status == SignupStatus.WAITLISTED, earlier)
        .correlate(mine)
        .scalar_subquery()
    )
    own = (mine.shift_id == Shift.id) & (mine.user_id == bindparam("user_id")) & (mine.status != SignupStatus.CANCELLED)
    return query.add_columns(mine, case((mine.status == SignupStatus.WAITLISTED, position))).outerjoin(mine, own)


def activity_with_counts(
    code: str, user_id: int | None = None
) -> tuple[Activity | None, dict[int, tuple[int, int]], dict[int, tuple[Signup, int | None]]]:
    """The activity with ``code``, its shifts and places, and each shift's confirmed and waitlisted counts, in one
    query (the page a poster's QR code opens); with ``user_id``, in the same query, that volunteer's own sign-ups
    that are not cancelled, by shift, with their place on the waitlist (None when confirmed). Returns
    (None, {}, {}) when there is no such activity. The organizers and places' names are not in it (they cost a third
    of the query on the client): ``with_organizers`` loads them when the page's card is rendered."""
    query = _activity_page_statement(user_id is not None)
    params = {"code": code} if user_id is None else {"code": code, "user_id": user_id}
    rows = db.session.execute(query, params).unique().all()
    if not rows:
        return None, {}, {}
    activity = rows[0][0].activity
    set_committed_value(activity, "shifts", [row[0] for row in rows])
    counts = {row[0].id: (row[1], row[2]) for row in rows}
    own = {row[0].id: (row[3], row[4]) for row in rows if user_id is not None and row[3] is not None}
    return activity, counts, own


def with_organizers(activity: Activity) -> Activity:
    """Load the names an activity's card shows (organization, co-organizers, town, village) in one statement for the
    three places and one for the co-organizers."""
    db.session.execute(
        select(Activity)
        .where(Activity.id == activity.id)
        .options(
            joinedload(Activity.organization),
            joinedload(Activity.town),
            joinedload(Activity.village),
            selectinload(Activity.coorganizers),
        )
    ).unique().all()
    return activity


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
