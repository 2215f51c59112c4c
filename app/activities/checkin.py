"""Check-in at the venue: a signed, short-lived token in a QR code on the coordinator's screen.

The token names one shift and a time slot; it is valid from one hour before the shift starts to its end, and only
for ``TOKEN_MINUTES`` after it was shown, so a photo of the screen shared later is useless. Scanning opens a page
where the volunteer taps once (a POST): a GET never changes anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.activities.models import Shift, Signup, SignupStatus
from app.activities.services import ActivityError, confirmed_count, sign_up
from app.audit.services import record
from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.timeutils import to_local

TOKEN_VERSION = 1
TOKEN_MINUTES = 5
OPENS_BEFORE = timedelta(hours=1)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="shouhu.checkin")


def check_in_window(shift: Shift) -> tuple[datetime, datetime]:
    return shift.starts_at - OPENS_BEFORE, shift.ends_at


class CheckInState(StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


def check_in_state(shift: Shift, now: datetime | None = None) -> CheckInState:
    """Where ``now`` falls in the shift's check-in window: the screen shows a code only while it is open."""
    opens, closes = check_in_window(shift)
    now = now or utcnow()
    if now < opens:
        return CheckInState.NOT_YET
    return CheckInState.OPEN if now <= closes else CheckInState.CLOSED


def moment_text(moment: datetime) -> str:
    """A moment as people say it: "08:00 on Dec 9" / "12月9日 08:00", Beijing time."""
    local = to_local(moment)
    return _(
        "%(time)s on %(day)s",
        time=local.strftime("%H:%M"),
        day=format_skeleton("MMMd", local, locale=get_locale()),
    )


def window_message(shift: Shift, state: CheckInState) -> str:
    """What the screen and an early or late scan say instead of a code."""
    opens, closes = check_in_window(shift)
    if state == CheckInState.NOT_YET:
        return _("Check-in opens at %(when)s.", when=moment_text(opens))
    if state == CheckInState.CLOSED:
        return _("Check-in closed at %(when)s.", when=moment_text(closes))
    return _("Check-in is open until %(when)s.", when=moment_text(closes))


def make_token(shift: Shift) -> str:
    return _serializer().dumps({"v": TOKEN_VERSION, "s": shift.id})


def read_token(token: str, shift_id: int | None = None, *, now: datetime | None = None) -> Shift:
    """The shift a token is for, if it is genuine, fresh, for this shift and inside the check-in window."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MINUTES * 60)
    except SignatureExpired:
        raise ActivityError(
            "token_expired", _("This check-in code has expired. Please scan the code on the screen again.")
        ) from None
    except BadSignature:
        raise ActivityError("token_invalid", _("This check-in code is not valid.")) from None
    if not isinstance(payload, dict) or payload.get("v") != TOKEN_VERSION:
        raise ActivityError("token_invalid", _("This check-in code is not valid."))
    if shift_id is not None and payload.get("s") != shift_id:
        raise ActivityError("token_wrong_shift", _("This check-in code is for another shift."))
    shift = db.session.get(Shift, payload.get("s"))
    if shift is None:
        raise ActivityError("token_invalid", _("This check-in code is not valid."))
    state = check_in_state(shift, now)
    if state != CheckInState.OPEN:
        raise ActivityError("outside_window", window_message(shift, state))
    return shift


def check_in(shift: Shift, user: User, *, by: User, now: datetime | None = None) -> Signup:
    """Record arrival; a second scan or a retried request changes nothing. A volunteer who did not sign up is added
    on the spot when there is room."""
    now = now or utcnow()
    signup = db.session.scalar(select(Signup).where(Signup.shift_id == shift.id, Signup.user_id == user.id))
    if signup is None or signup.status != SignupStatus.CONFIRMED:
        if (signup is not None and signup.status == SignupStatus.WAITLISTED) or confirmed_count(
            shift.id
        ) >= shift.capacity:
            raise ActivityError("no_room", _("This shift is full; please ask the coordinator."))
        signup = sign_up(shift.id, user, now=now, allow_started=True)
        if signup.status != SignupStatus.CONFIRMED:
            raise ActivityError("no_room", _("This shift is full; please ask the coordinator."))
    if signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.is_no_show = False
        record("signup.checked_in", signup, actor=by, shift=shift.id)
    return signup


def check_out(signup: Signup, *, by: User, now: datetime | None = None) -> Signup:
    """Record leaving (the second scan); before a check-in there is nothing to check out of."""
    if signup.checked_in_at is None:
        raise ActivityError("not_checked_in", _("Check in first."))
    if signup.checked_out_at is None:
        signup.checked_out_at = max(now or utcnow(), signup.checked_in_at)
        record("signup.checked_out", signup, actor=by, shift=signup.shift_id)
    return signup


def mark_no_show(signup: Signup, *, by: User) -> None:
    if signup.checked_in_at is not None:
        raise ActivityError("was_there", _("This volunteer checked in."))
    signup.is_no_show = True
    record("signup.no_show", signup, actor=by)


STAR_HOURS = (100, 300, 600, 1000, 1500)


def star_level(hours: float) -> int:
    """星级志愿者: one star from 100 h, two from 300 h, three from 600 h, four from 1,000 h, five from 1,500 h."""
    return sum(1 for threshold in STAR_HOURS if hours >= threshold)


def hours_to_next_star(hours: float) -> float | None:
    """How many more service hours make the next star (``76`` hours in: 24 to one star); None at five stars."""
    return next((threshold - hours for threshold in STAR_HOURS if hours < threshold), None)
