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
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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
    """A shift's time in the current language, Beijing time: ``12月9日 09:00–12:00``."""
    starts = datetime.fromisoformat(params[start])
    text = format_datetime(starts, _("MMM d, HH:mm"))
    if params.get(end):
        text += "–" + format_datetime(datetime.fromisoformat(params[end]), "HH:mm")
    return text


def shift_params(shift, **extra) -> dict:
    """What a message about a shift needs to read well later, even after the activity changed."""
    activity = shift.activity
    return {
        "title": activity.title,
        "code": activity.code,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "venue": activity.venue,
        **extra,
    }


# --- volunteers ---------------------------------------------------------------------------------------------------


@kind("signup_confirmed", _l("Sign-up confirmed"))
def _signup_confirmed(p: dict) -> Rendered:
    calendar = absolute(f"/a/{p['code']}/calendar.ics")
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
        title=p["title"],
        when=when(p),
        venue=p["venue"] or _("the venue on the activity page"),
        calendar=calendar,
    )
    return Rendered(_("Sign-up confirmed"), text, f"/a/{p['code']}", [p["title"], when(p)])


@kind("signup_promoted", _l("Moved up from the waitlist"))
def _promoted(p: dict) -> Rendered:
    text = _(
        "A place freed up: you are now confirmed for “%(title)s”, %(when)s at %(venue)s. Can't come? Cancel on "
        "“My activities” so the next volunteer can.",
        title=p["title"],
        when=when(p),
        venue=p["venue"] or _("the venue on the activity page"),
    )
    return Rendered(_("You have a place"), text, "/me/activities", [p["title"], when(p)])


# --- the administrator --------------------------------------------------------------------------------------------


@kind("delivery_failed", _l("Messages not delivered"), channels=())
def _delivery_failed(p: dict) -> Rendered:
    text = _("Some SMS or e-mail messages could not be delivered. Please check them and send them again if needed.")
    return Rendered(_("Messages not delivered"), text, "/admin/messages?status=failed")
