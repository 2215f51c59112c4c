"""Every kind of message, and how it reads: rendered from its stored ``params`` in whatever language is current, so
the inbox shows it in the reader's language and a job sends it in the recipient's (``rendered_for``).

A kind says which outside channels it may use (the inbox always has it). Its SMS form is one of the provider's
approved templates (key = the kind) with the variables ``sms`` returns; the text we render for the same message is
what the development outbox shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.formatting import when as format_when
from app.notifications.models import Channel, Message
from app.urls import absolute


@dataclass
class Rendered:
    title: str
    text: str
    link: str = ""  # a path on this site the message points to
    sms: list[str] = field(default_factory=list)  # the SMS template's variables, in order


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # lazy string: what the administrator's pages call it
    render: Callable[[dict], Rendered]
    channels: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL)


KINDS: dict[str, Kind] = {}


def kind(key: str, label, *, channels: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL)) -> Callable:
    """Register how messages of ``key`` read."""

    def decorator(render: Callable[[dict], Rendered]) -> Callable[[dict], Rendered]:
        KINDS[key] = Kind(key, label, render, channels)
        return render

    return decorator


def render(message: Message) -> Rendered:
    """The message in the current language."""
    registered = KINDS.get(message.kind)
    if registered is None:
        return Rendered(title=message.kind, text="")
    try:
        return registered.render(message.params or {})
    except (KeyError, TypeError, ValueError):  # a message kept from before its kind changed: its title at least
        return Rendered(title=str(registered.label), text="")


def rendered_for(message: Message) -> Rendered:
    """The message in its recipient's language, whoever or whatever sends it."""
    locale = message.recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return render(message)


def when(params: dict, start: str = "starts_at", end: str = "ends_at") -> str:
    """A shift's time in the site's date style, Beijing time: ``12月9日（周三）09:00–12:00``. Never 今天/明天: a
    message may be read days after it was written."""
    ends = datetime.fromisoformat(params[end]) if params.get(end) else None
    return format_when(datetime.fromisoformat(params[start]), ends, relative=False)


def shift_params(shift, **extra) -> dict:
    """What a message about a shift needs to read well later, even after the activity changed."""
    activity = shift.activity
    return {
        "title": activity.title,
        "code": activity.code,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "venue": activity.venue,
        "contact_phone": activity.contact_phone,
        **extra,
    }


def shift_sentence(p: dict) -> dict:
    """The title, time and venue a volunteer's message names in its sentence, as the placeholders ``%(title)s``,
    ``%(when)s`` and ``%(venue)s``; a shift without a venue points to the activity page."""
    return {"title": p["title"], "when": when(p), "venue": p["venue"] or _("the venue on the activity page")}


# --- volunteers ---------------------------------------------------------------------------------------------------


@kind("signup_confirmed", _l("Sign-up confirmed"))
def _signup_confirmed(p: dict) -> Rendered:
    # that one shift (messages written before the shift was recorded link the whole activity)
    calendar = absolute(f"/a/{p['code']}/calendar.ics" + (f"?shift={p['shift_id']}" if p.get("shift_id") else ""))
    if p.get("waitlisted"):
        text = _(
            "You are on the waitlist for “%(title)s”, %(when)s (number %(position)s in line). We will tell you if "
            "a place frees up.",
            title=p["title"],
            when=when(p),
            position=p.get("position", "?"),
        )
        return Rendered(_("On the waitlist"), text, f"/a/{p['code']}", [p["title"], when(p)])
    text = _(
        "You are signed up for “%(title)s”, %(when)s at %(venue)s. Add it to your calendar: %(calendar)s",
        **shift_sentence(p),
        calendar=calendar,
    )
    return Rendered(_("Sign-up confirmed"), text, f"/a/{p['code']}", [p["title"], when(p)])


@kind("signup_promoted", _l("Moved up from the waitlist"))
def _promoted(p: dict) -> Rendered:
    text = _(
        "A place freed up: you are now confirmed for “%(title)s”, %(when)s at %(venue)s. Can't come? Cancel on "
        "“My activities” so the next volunteer can.",
        **shift_sentence(p),
    )
    return Rendered(_("You have a place"), text, "/me/activities", [p["title"], when(p)])


@kind("shift_reminder", _l("Shift reminder"))
def _shift_reminder(p: dict) -> Rendered:
    """The day before or two hours before a shift, with the one-tap answers (``app.notifications.links``)."""
    if p.get("occasion") == "two_hours":
        title = _("In two hours: %(title)s", title=p["title"])
        opening = _(
            "Reminder: “%(title)s” starts soon, %(when)s at %(venue)s.",
            **shift_sentence(p),
        )
    else:
        title = _("Tomorrow: %(title)s", title=p["title"])
        opening = _(
            "Reminder: you are signed up for “%(title)s” tomorrow, %(when)s at %(venue)s.",
            **shift_sentence(p),
        )
    if p.get("contact_phone"):
        call = _("On the day, call %(phone)s.", phone=p["contact_phone"])
        opening = f"{opening} {call}"
    answers = _(
        "I'll come: %(come)s — I can't come (frees your place for the next volunteer): %(cancel)s",
        come=absolute(p["come"]),
        cancel=absolute(p["cancel"]),
    )
    return Rendered(title, f"{opening} {answers}", "/me/activities", [p["title"], when(p), absolute(p["cancel"])])


@kind("activity_changed", _l("Time or place changed"))
def _activity_changed(p: dict) -> Rendered:
    text = _(
        "The time or place of “%(title)s” has changed: your shift is now %(when)s at %(venue)s. Can't come any "
        "more? Cancel on “My activities”.",
        **shift_sentence(p),
    )
    return Rendered(_("Changed: %(title)s", title=p["title"]), text, "/me/activities", [p["title"], when(p)])


@kind("activity_cancelled", _l("Activity cancelled"))
def _activity_cancelled(p: dict) -> Rendered:
    text = _(
        "“%(title)s” (%(when)s) has been cancelled: %(reason)s. You need not come.",
        title=p["title"],
        when=when(p),
        reason=p["reason"],
    )
    return Rendered(_("Cancelled: %(title)s", title=p["title"]), text, "/me/activities", [p["title"], when(p)])


@kind("broadcast", _l("Message from a coordinator"))
def _broadcast(p: dict) -> Rendered:
    text = _("About “%(title)s”, %(when)s: %(body)s", title=p["title"], when=when(p), body=p["body"])
    return Rendered(
        _("From the coordinator of %(title)s", title=p["title"]), text, f"/a/{p['code']}", [p["title"], p["body"]]
    )


# --- the administrator --------------------------------------------------------------------------------------------


@kind("delivery_failed", _l("Messages not delivered"), channels=())
def _delivery_failed(p: dict) -> Rendered:
    text = _("Some SMS or e-mail messages could not be delivered. Please check them and send them again if needed.")
    return Rendered(_("Messages not delivered"), text, "/admin/messages?status=failed")


# The staff's messages (coordinators, child directors, supervisors, the administrator) are registered there.
from app.notifications import kinds_staff  # noqa: E402, F401
