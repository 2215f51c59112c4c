"""The rules of activities and sign-ups: one function per operation, used by every page and command.

Capacity is pretix's "lock before you check": the shift row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite, which ignores FOR UPDATE, the transaction is begun with ``BEGIN IMMEDIATE`` so writers queue), then the
confirmed sign-ups are counted, then the new one is written, all in one transaction. A unique constraint on
(shift, volunteer) is the last line of defence against a double sign-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from app.activities.models import (
    KIND_TASKS,
    Activity,
    ActivityKind,
    ActivityStatus,
    Audience,
    Shift,
    Signup,
    SignupStatus,
    new_public_code,
    service_minutes,
)
from app.audit.services import SYSTEM, record
from app.auth.models import User
from app.db_types import utcnow
from app.directory.models import Organization
from app.domain import DomainError
from app.extensions import db, holds_write_lock

MAX_SERIES = 60


class ActivityError(DomainError):
    """A broken rule about activities or sign-ups: ``message`` for the user, ``code`` for tests and logs."""


@dataclass
class ShiftData:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    role: str = ""
    id: int | None = None


@dataclass
class ActivityData:
    """What a coordinator fills in; times are timezone-aware."""

    title: str
    kind: ActivityKind
    organization: Organization
    shifts: list[ShiftData]
    description: str = ""
    plan_tasks: list[int] | None = None
    safety_topics: list[str] = field(default_factory=list)
    audience: Audience = Audience.CHILDREN
    town_id: int | None = None
    village_id: int | None = None
    venue: str = ""
    expected_children: int = 0
    coorganizers: list[Organization] = field(default_factory=list)
    map_url: str = ""
    what_to_bring: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    is_contact_on_poster: bool = False


_PHONE = re.compile(r"\+?[0-9][0-9 -]{3,17}[0-9]")


def is_contact_phone(value: str) -> bool:
    """A phone number a volunteer can dial: digits, spaces and dashes, an optional leading +, 5 to 20 characters
    (a mobile or a landline such as 0917-4712345)."""
    return _PHONE.fullmatch(value) is not None


def is_map_url(value: str) -> bool:
    """An https link with a host and no spaces, at most 500 characters: anything else is refused rather than put on a
    public page as a link."""
    if len(value) > 500 or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)


def _check_shifts(shifts: list[ShiftData], *, new_after: datetime | None = None) -> None:
    """The shifts' own rules. With ``new_after``, a shift without an id (a new one) must start after it: a new shift
    cannot start in the past, while an existing one may still be corrected."""
    if not shifts:
        raise ActivityError("no_shift", _("An activity needs at least one shift."))
    for shift in shifts:
        if shift.ends_at <= shift.starts_at:
            raise ActivityError("end_before_start", _("A shift must end after it starts."))
        if shift.capacity < 1 or shift.capacity > 10000:
            raise ActivityError("bad_capacity", _("A shift needs between 1 and 10,000 volunteer places."))
        if new_after is not None and shift.id is None and shift.starts_at <= new_after:
            raise ActivityError("shift_in_past", _("A new shift cannot start in the past."))


def _check_contact(data: ActivityData) -> None:
    if data.map_url.strip() and not is_map_url(data.map_url.strip()):
        raise ActivityError("bad_map_url", _("The map link must be a web address starting with https://."))
    if data.contact_phone.strip() and not is_contact_phone(data.contact_phone.strip()):
        raise ActivityError(
            "bad_contact_phone", _("Please enter a phone number of digits (spaces and dashes allowed).")
        )


def _apply(activity: Activity, data: ActivityData) -> None:
    activity.title = data.title.strip()
    activity.kind = data.kind
    activity.organization_id = data.organization.id
    activity.description = data.description.strip()
    activity.plan_tasks = sorted(set(data.plan_tasks if data.plan_tasks is not None else KIND_TASKS[data.kind]))
    activity.safety_topics = sorted(set(data.safety_topics))
    activity.audience = data.audience
    activity.town_id = data.town_id
    activity.village_id = data.village_id
    activity.venue = data.venue.strip()
    activity.expected_children = max(0, data.expected_children)
    activity.coorganizers = [o for o in data.coorganizers if o.id != data.organization.id]
    activity.map_url = data.map_url.strip()
    activity.what_to_bring = data.what_to_bring.strip()
    activity.contact_name = data.contact_name.strip()
    activity.contact_phone = data.contact_phone.strip()
    activity.is_contact_on_poster = data.is_contact_on_poster and bool(activity.contact_phone)


def _span(activity: Activity) -> None:
    activity.starts_at = min(s.starts_at for s in activity.shifts)
    activity.ends_at = max(s.ends_at for s in activity.shifts)


def create_activity(
    data: ActivityData, *, by: User, repeat_weeks: int = 1, allow_past: bool = False, now: datetime | None = None
) -> list[Activity]:
    """Create a draft activity, or a weekly series of ``repeat_weeks`` copies (every Saturday of the vacation...).

    Its shifts cannot start in the past: a coordinator's mistyped year would head the public list. Only records
    entered after the fact (demo history, tests) pass ``allow_past``."""
    _check_shifts(data.shifts, new_after=None if allow_past else (now or utcnow()))
    _check_contact(data)
    if not 1 <= repeat_weeks <= MAX_SERIES:
        raise ActivityError("bad_series", _("A series can have 1 to %(n)d activities.", n=MAX_SERIES))
    series_code = new_public_code() if repeat_weeks > 1 else None
    created = []
    for week in range(repeat_weeks):
        shift_offset = timedelta(weeks=week)
        activity = Activity(status=ActivityStatus.DRAFT, created_by_id=by.id, series_code=series_code)
        _apply(activity, data)
        activity.shifts = [
            Shift(
                starts_at=s.starts_at + shift_offset,
                ends_at=s.ends_at + shift_offset,
                capacity=s.capacity,
                role=s.role.strip(),
            )
            for s in data.shifts
        ]
        _span(activity)
        db.session.add(activity)
        created.append(activity)
    db.session.flush()
    for activity in created:
        record("activity.created", activity, actor=by, series=series_code)
    return created


def confirmed_count(shift_id: int) -> int:
    return db.session.scalar(
        select(func.count(Signup.id)).where(Signup.shift_id == shift_id, Signup.status == SignupStatus.CONFIRMED)
    )


def update_activity(activity: Activity, data: ActivityData, *, by: User, now: datetime | None = None) -> None:
    """Edit an activity and its shifts. A change of time or place raises the calendar SEQUENCE and flags every live
    sign-up so the volunteer sees it on "my activities" and is told; a shift with sign-ups cannot be removed or
    shrunk below them. A shift added cannot start in the past; an existing one may be corrected."""
    if activity.is_closed:
        raise ActivityError("closed", _("A cancelled or completed activity can no longer be edited."))
    if not activity.is_editable:
        raise ActivityError("ended", _("This activity has ended: its times and places are now a record."))
    existing = {s.id: s for s in activity.shifts}
    for item in data.shifts:
        if item.id not in existing:
            item.id = None  # a row id from another activity is a new shift here
    _check_shifts(data.shifts, new_after=now or utcnow())
    _check_contact(data)
    before = (
        activity.venue,
        activity.town_id,
        activity.village_id,
        [(s.id, s.starts_at, s.ends_at) for s in activity.shifts],
    )
    kept_ids = {s.id for s in data.shifts if s.id}
    for shift_id in existing:
        if shift_id not in kept_ids and db.session.scalar(
            select(func.count(Signup.id)).where(Signup.shift_id == shift_id, Signup.status != SignupStatus.CANCELLED)
        ):
            raise ActivityError(
                "shift_has_signups",
                _("A shift that volunteers signed up for cannot be removed; cancel the activity instead."),
            )
    for item in data.shifts:
        if item.id in existing:
            taken = confirmed_count(item.id)
            if item.capacity < taken:
                raise ActivityError(
                    "capacity_below_confirmed",
                    _(
                        "A shift cannot have fewer places (%(capacity)d) than volunteers already confirmed "
                        "(%(taken)d).",
                        capacity=item.capacity,
                        taken=taken,
                    ),
                )
    _apply(activity, data)
    shifts = []
    for item in data.shifts:
        shift = existing.get(item.id) or Shift()
        shift.starts_at, shift.ends_at, shift.capacity, shift.role = (
            item.starts_at,
            item.ends_at,
            item.capacity,
            item.role.strip(),
        )
        shifts.append(shift)
    activity.shifts = shifts
    _span(activity)
    db.session.flush()
    for shift in shifts:
        promote_waitlist(shift)
    after = (
        activity.venue,
        activity.town_id,
        activity.village_id,
        [(s.id, s.starts_at, s.ends_at) for s in activity.shifts],
    )
    activity.sequence += 1
    if before != after:
        _flag_signups(activity)
        _tell_volunteers(activity, "activity_changed", occasion=str(activity.sequence))
    record("activity.updated", activity, actor=by, time_or_place_changed=before != after)


def _flag_signups(activity: Activity) -> None:
    now = utcnow()
    for shift in activity.shifts:
        for signup in shift.signups:
            if signup.status != SignupStatus.CANCELLED:
                signup.changed_at = now


def _tell_volunteers(activity: Activity, kind: str, *, occasion: str = "", urgent: bool = False, **extra) -> None:
    """Every volunteer with a live sign-up (confirmed or waitlisted) hears once about the activity, with the time of
    their first shift of it."""
    from app.notifications.kinds import shift_params
    from app.notifications.services import notify

    told: set[int] = set()
    for shift in sorted(activity.shifts, key=lambda s: s.starts_at):
        for signup in shift.signups:
            if signup.status != SignupStatus.CANCELLED and signup.user_id not in told:
                told.add(signup.user_id)
                params = shift_params(shift, **extra)
                notify(kind, signup.user, about=activity, occasion=occasion, params=params, urgent=urgent)


def starts_today(activity: Activity, now: datetime) -> bool:
    """A shift of the activity starts today, Beijing date (a cancellation then goes even in the quiet hours)."""
    from app.timeutils import to_local

    today = to_local(now).date()
    return any(to_local(shift.starts_at).date() == today for shift in activity.shifts)


def publish_activity(activity: Activity, *, by: User) -> None:
    """Open a draft for sign-up (it appears in the listing and on its poster's page); only a draft is published."""
    if not activity.is_draft:
        raise ActivityError("not_draft", _("Only a draft can be published."))
    activity.status = ActivityStatus.PUBLISHED
    activity.sequence += 1
    db.session.flush()
    record("activity.published", activity, actor=by)


def cancel_activity(activity: Activity, reason: str, *, by: User, now: datetime | None = None) -> None:
    """Cancel with a reason: the calendars get STATUS:CANCELLED and every volunteer signed up sees it and is told
    (at once, even in the quiet hours, when a shift of it was to start today)."""
    if activity.is_closed:
        raise ActivityError("closed", _("This activity is already cancelled or completed."))
    if not reason.strip():
        raise ActivityError("reason_required", _("Please give a reason for the cancellation."))
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = reason.strip()
    activity.sequence += 1
    _flag_signups(activity)
    db.session.flush()
    record("activity.cancelled", activity, actor=by, reason=reason.strip())
    _tell_volunteers(
        activity, "activity_cancelled", urgent=starts_today(activity, now or utcnow()), reason=activity.cancel_reason
    )


def complete_activity(activity: Activity, *, by: User) -> None:
    """Close a published activity as held (``held_activity``): from now on it counts in every report and rule."""
    if not activity.is_published:
        raise ActivityError("not_published", _("Only a published activity can be marked completed."))
    activity.status = ActivityStatus.COMPLETED
    db.session.flush()
    record("activity.completed", activity, actor=by)


def duplicate_activity(activity: Activity, *, shift_by: timedelta, by: User, now: datetime | None = None) -> Activity:
    """A draft copy (e.g. of last year's summer camp) with every shift moved by ``shift_by``; like any new shift, the
    copies cannot start in the past."""
    if any(s.starts_at + shift_by <= (now or utcnow()) for s in activity.shifts):
        raise ActivityError("shift_in_past", _("A new shift cannot start in the past."))
    copy = Activity(
        status=ActivityStatus.DRAFT,
        created_by_id=by.id,
        title=activity.title,
        description=activity.description,
        kind=activity.kind,
        organization_id=activity.organization_id,
        plan_tasks=list(activity.plan_tasks),
        safety_topics=list(activity.safety_topics),
        audience=activity.audience,
        town_id=activity.town_id,
        village_id=activity.village_id,
        venue=activity.venue,
        expected_children=activity.expected_children,
        map_url=activity.map_url,
        what_to_bring=activity.what_to_bring,
        contact_name=activity.contact_name,
        contact_phone=activity.contact_phone,
        is_contact_on_poster=activity.is_contact_on_poster,
    )
    copy.coorganizers = list(activity.coorganizers)
    copy.shifts = [
        Shift(starts_at=s.starts_at + shift_by, ends_at=s.ends_at + shift_by, capacity=s.capacity, role=s.role)
        for s in activity.shifts
    ]
    _span(copy)
    db.session.add(copy)
    db.session.flush()
    record("activity.duplicated", copy, actor=by, source=activity.id)
    return copy


# --- sign-up -----------------------------------------------------------------------------------------------------


def begin_write() -> None:
    """Make sure the transaction holds the write lock a capacity check needs, without committing anything.

    PostgreSQL uses row locks: nothing to do. On SQLite a transaction that already holds the write lock (it began
    IMMEDIATE, as every data-changing request does, or it has written) goes on as it is; the caller's unflushed
    work is flushed, which takes the lock; only a transaction that has merely read is ended (it has nothing to
    lose) and a new one begun with BEGIN IMMEDIATE, so concurrent sign-ups queue on the lock (busy_timeout)
    instead of counting from a stale snapshot.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.in_nested_transaction() or holds_write_lock(session.connection()):
            return
        if session.new or session.dirty or session.deleted:
            session.flush()
            if holds_write_lock(session.connection()):
                return
        session.rollback()  # a read-only transaction: nothing pending, nothing lost
    session.connection(execution_options={"sqlite_immediate": True})


def _lock_shift(shift_id: int) -> Shift:
    shift = db.session.scalar(select(Shift).where(Shift.id == shift_id).with_for_update())
    if shift is None:
        raise ActivityError("no_shift", _("This shift does not exist."))
    return shift


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first in line, or None when the sign-up is not waitlisted."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Signup.id)).where(
            Signup.shift_id == signup.shift_id,
            Signup.status == SignupStatus.WAITLISTED,
            (Signup.queued_at < signup.queued_at) | ((Signup.queued_at == signup.queued_at) & (Signup.id < signup.id)),
        )
    )
    return ahead + 1


@cache
def _own_signups_statement():
    """A volunteer's sign-up on ``:shift_id`` and their live ones at the same time (``:starts_at`` to ``:ends_at``).
    Built once: the sign-up path runs it for every tap, and building it cost more than running it."""
    return (
        select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Signup.user_id == bindparam("user_id"),
            (Signup.shift_id == bindparam("shift_id"))
            | (
                (Signup.status != SignupStatus.CANCELLED)
                & (Shift.starts_at < bindparam("ends_at", type_=Shift.starts_at.type))
                & (Shift.ends_at > bindparam("starts_at", type_=Shift.ends_at.type))
            ),
        )
    )


def _check_can_join(shift: Shift, user: User, now: datetime) -> Signup | None:
    """The rules that do not depend on the others signing up: the shift is open, and ``user`` holds no live sign-up
    on it nor on a shift at the same time. One statement; returns their cancelled sign-up on this shift, if any (it
    is taken up again: one row per shift and person)."""
    activity = shift.activity
    if not shift.is_open_for_signup(now):
        if activity.is_cancelled:
            raise ActivityError("cancelled", _("This activity has been cancelled."))
        if not activity.is_published:
            raise ActivityError("not_published", _("This activity is not open for sign-up."))
        raise ActivityError("past", _("This shift has already started; sign-up is closed."))
    params = {"user_id": user.id, "shift_id": shift.id, "starts_at": shift.starts_at, "ends_at": shift.ends_at}
    rows = db.session.execute(_own_signups_statement(), params).all()
    existing = next((signup for signup, _shift in rows if signup.shift_id == shift.id), None)
    if existing is not None and existing.status != SignupStatus.CANCELLED:
        raise ActivityError("duplicate", _("You have already signed up for this shift."))
    clash = next((other for signup, other in rows if signup.shift_id != shift.id), None)
    if clash is not None:
        raise ActivityError(
            "overlap", _("You are already signed up for “%(title)s” at the same time.", title=clash.activity.title)
        )
    return existing


@cache
def _places_statement():
    """Built once (it runs under the shift's lock, where every microsecond is another volunteer's wait)."""
    shift_id, queued_at = bindparam("shift_id"), bindparam("queued_at", type_=Signup.queued_at.type)
    live = Signup.status != SignupStatus.CANCELLED
    mine = select(Signup.id).where(Signup.shift_id == shift_id, Signup.user_id == bindparam("user_id"), live).exists()
    confirmed = select(func.count(Signup.id)).where(
        Signup.shift_id == shift_id, Signup.status == SignupStatus.CONFIRMED
    )
    waiting = select(func.count(Signup.id)).where(
        Signup.shift_id == shift_id, Signup.status == SignupStatus.WAITLISTED, Signup.queued_at <= queued_at
    )
    return select(Shift.capacity, confirmed.scalar_subquery(), waiting.scalar_subquery(), mine).where(
        Shift.id == shift_id
    )


def _places(shift_id: int, user_id: int, queued_at: datetime) -> tuple[int, int, int, bool]:
    """Under the shift's lock, in one statement: its capacity, how many are confirmed, how many wait in line before
    ``queued_at``, and whether ``user_id`` holds a live sign-up on it (a second tap that overtook the first)."""
    params = {"shift_id": shift_id, "user_id": user_id, "queued_at": queued_at}
    row = db.session.execute(_places_statement(), params).one()
    return row[0], row[1], row[2], bool(row[3])


def sign_up(shift_id: int, user: User, *, now: datetime | None = None, allow_started: bool = False) -> Signup:
    """Sign ``user`` up for a shift: confirmed while there is room, otherwise waitlisted at the end of the line.

    Pretix's "lock before you check", with as little as possible under the lock: the rules about the person (open
    shift, duplicate, overlap) are checked first; then the shift is locked (its row on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers), one statement counts (and sees a duplicate that overtook us), and
    the sign-up, its audit entry and its message are inserted; the caller's commit releases the lock."""
    now = now or utcnow()
    begin_write()
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise ActivityError("no_shift", _("This shift does not exist."))
    if allow_started:
        now = min(now, shift.starts_at - timedelta(seconds=1))
    existing = _check_can_join(shift, user, now)
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(select(Shift.id).where(Shift.id == shift.id).with_for_update())
    queued_at = utcnow()  # under the lock: the line's order is the lock's
    capacity, confirmed, ahead, taken = _places(shift.id, user.id, queued_at)
    if taken:
        raise ActivityError("duplicate", _("You have already signed up for this shift."))
    status = SignupStatus.CONFIRMED if confirmed < capacity else SignupStatus.WAITLISTED
    signup = existing or Signup(shift_id=shift.id, user_id=user.id)
    signup.status = status
    signup.queued_at = queued_at
    signup.confirmed_at = signup.queued_at if status == SignupStatus.CONFIRMED else None
    signup.cancelled_at = signup.promoted_at = signup.changed_at = None
    db.session.add(signup)
    db.session.flush()
    # As ``waitlist_position`` counts: those queued before (or at the same time, with a smaller id: all of them).
    signup.place_in_line = ahead + 1 if status == SignupStatus.WAITLISTED else None
    record("signup.created", signup, actor=user, shift=shift.id, status=str(status))
    _tell_signed_up(signup, shift, user)
    return signup


def _tell_signed_up(signup: Signup, shift: Shift, user: User) -> None:
    """The volunteer hears at once: confirmed (with the calendar link), or waitlisted with their place in line. A
    sign-up again after cancelling is a new occasion (its ``queued_at``), so the message cannot exist yet."""
    from app.notifications.kinds import shift_params
    from app.notifications.services import notify

    waitlisted = signup.status == SignupStatus.WAITLISTED
    params = shift_params(shift, shift_id=shift.id, waitlisted=waitlisted, position=signup.place_in_line)
    notify("signup_confirmed", user, about=signup, occasion=signup.queued_at.isoformat(), params=params, fresh=True)


def promote_waitlist(shift: Shift) -> list[Signup]:
    """Move the first in line to confirmed while there is room (after a cancellation or a larger capacity)."""
    promoted = []
    room = shift.capacity - confirmed_count(shift.id)
    if room <= 0:
        return promoted
    line = db.session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id)
        .limit(room)
    ).all()
    now = utcnow()
    for signup in line:
        signup.status = SignupStatus.CONFIRMED
        signup.confirmed_at = signup.promoted_at = now
        promoted.append(signup)
        record("signup.promoted", signup, actor=SYSTEM, shift=shift.id)
    db.session.flush()
    if promoted:
        from app.notifications.kinds import shift_params
        from app.notifications.services import notify

        for signup in promoted:
            notify("signup_promoted", signup.user, about=signup, occasion=now.isoformat(), params=shift_params(shift))
    return promoted


def cancel_signup(
    signup: Signup, *, by: User, now: datetime | None = None, remove_attendance: bool = False
) -> list[Signup]:
    """The volunteer (until the shift starts) or the coordinator cancels; the first on the waitlist moves up.

    Once a volunteer has checked in (or a coordinator has recorded their minutes), the sign-up holds service:
    the volunteer can no longer cancel it, and the coordinator takes them off the roster only by saying so
    (``remove_attendance``), which removes those minutes too; the audit entry keeps how many."""
    now = now or utcnow()
    if signup.status == SignupStatus.CANCELLED:
        return []
    served = signup.checked_in_at is not None or signup.minutes_override is not None
    if by.id == signup.user_id and served:
        raise ActivityError("checked_in", _("You have checked in; please ask the coordinator instead."))
    if by.id == signup.user_id and signup.shift.starts_at <= now:
        raise ActivityError("started", _("The shift has started; please tell the coordinator instead."))
    if served and not remove_attendance:
        raise ActivityError(
            "checked_in",
            _("This volunteer has checked in: their attendance is kept unless you choose to remove it."),
        )
    begin_write()
    shift = _lock_shift(signup.shift_id)
    signup = db.session.get(Signup, signup.id)
    removed = service_minutes(signup)
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = now
    signup.minutes_override = None
    db.session.flush()
    if served:
        record("signup.cancelled", signup, actor=by, shift=shift.id, removed_minutes=removed)
    else:
        record("signup.cancelled", signup, actor=by, shift=shift.id)
    return promote_waitlist(shift)
