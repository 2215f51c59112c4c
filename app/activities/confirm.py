"""The questions asked before a sign-up or an activity is cancelled: what the volunteer gives up, what a
coordinator's removal takes away (a checked-in volunteer's hours are kept unless they say otherwise), whom an
activity's cancellation reaches."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.activities.models import Activity, Shift, Signup, SignupStatus, service_minutes
from app.confirm import Choice, Question
from app.extensions import db
from app.formatting import datetime_filter


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".removesuffix(".0")


def _when(signup: Signup) -> str:
    shift = signup.shift
    return _(
        "%(title)s, %(start)s – %(end)s",
        title=shift.activity.title,
        start=datetime_filter(shift.starts_at, "short"),
        end=datetime_filter(shift.ends_at, "HH:mm"),
    )


def _served(signup: Signup) -> bool:
    return signup.checked_in_at is not None or signup.minutes_override is not None


def cancel_question(signup: Signup) -> Question:
    """A volunteer cancelling their own sign-up: their place goes (to the waitlist's first, if any)."""
    back = url_for("activities.mine")
    if _served(signup):
        hours = _hours(service_minutes(signup))
        return Question(
            _("Cancel your sign-up?"),
            [_when(signup)],
            [],
            back,
            keep=_("Back to my activities"),
            warning=_(
                "You have checked in: your %(h)s hours are kept. Only the coordinator can take you off the roster.",
                h=hours,
            ),
        )
    lost = [_when(signup)]
    if signup.status == SignupStatus.WAITLISTED:
        lost.append(_("You will leave the waitlist."))
    else:
        lost.append(_("You will give up your place; the next person on the waitlist, if any, takes it."))
    return Question(
        _("Cancel your sign-up?"),
        lost,
        [Choice(url_for("activities.cancel", signup_id=signup.id), _("Yes, cancel my sign-up"))],
        back,
        keep=_("No, keep my place"),
    )


def roster_question(signup: Signup, back: str) -> Question:
    """A coordinator taking a volunteer off the roster. For one who checked in, keeping the attendance (checking
    them out) comes first; removing it says how many hours go."""
    name = signup.user.display_name
    action = url_for("manage.signup_action", signup_id=signup.id, action="cancel")
    title = _("Take %(name)s off the roster?", name=name)
    if not _served(signup):
        return Question(
            title,
            [_when(signup), _("Their place goes to the next person on the waitlist, if any.")],
            [Choice(action, _("Yes, take them off"), {"back": back})],
            back,
        )
    hours = _hours(service_minutes(signup))
    checkout = url_for("manage.signup_action", signup_id=signup.id, action="checkout")
    choices = [
        Choice(action, _("Remove them and their %(h)s hours", h=hours), {"back": back, "remove_attendance": "1"})
    ]
    if signup.checked_in_at is not None and signup.checked_out_at is None:
        keep = _("Check them out now and keep their hours")
        choices.insert(0, Choice(checkout, keep, {"back": back}, secondary=True))
    return Question(
        title,
        [_when(signup)],
        choices,
        back,
        warning=_(
            "%(name)s has checked in: their attendance and %(h)s hours are kept unless you remove them.",
            name=name,
            h=hours,
        ),
    )


def activity_cancel_question(activity: Activity, form) -> Question:
    """Cancelling an activity: every shift is off and every volunteer signed up is told; the reason is asked here."""
    people = db.session.scalar(
        select(func.count(Signup.id))
        .join(Signup.shift)
        .where(Shift.activity_id == activity.id, Signup.status != SignupStatus.CANCELLED)
    )
    lost = [
        _(
            "“%(title)s” will be cancelled with all its shifts (%(shifts)d), and the volunteers signed up "
            "(%(people)d) will be told.",
            shifts=len(activity.shifts),
            title=activity.title,
            people=people,
        ),
        _("A cancelled activity cannot be published again."),
    ]
    return Question(
        _("Cancel the activity?"),
        lost,
        [Choice(url_for("manage.cancel", activity_id=activity.id), _("Yes, cancel the activity"), form=form)],
        url_for("manage.activity", activity_id=activity.id),
        keep=_("No, keep the activity"),
    )
