"""Calendar files (.ics): one VEVENT per shift, stable UIDs, Asia/Shanghai with its VTIMEZONE, SEQUENCE and STATUS."""

from __future__ import annotations

from collections.abc import Iterable

from app.activities.models import Activity, ActivityStatus, Shift
from app.db_types import utcnow
from app.timeutils import SHANGHAI

UID_DOMAIN = "shouhu.fengxian"


def shift_uid(shift: Shift) -> str:
    """Stable across edits: a calendar app updates the event in place instead of adding a new one."""
    return f"shift-{shift.id}@{UID_DOMAIN}"


def build_calendar(
    shifts: Iterable[Shift], *, name: str, url_for_activity, cancelled_ids: set[int] = frozenset()
) -> bytes:
    """An iCalendar file holding ``shifts``; ``url_for_activity(activity)`` gives each event's absolute URL.

    Shifts of a cancelled activity (or in ``cancelled_ids``, e.g. a cancelled sign-up) carry STATUS:CANCELLED.
    """
    from icalendar import Calendar, Event, vCalAddress, vText  # here: most workers never build a calendar

    calendar = Calendar()
    calendar.add("prodid", "-//Shouhu//Feng County care activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    stamp = utcnow()
    for shift in shifts:
        activity: Activity = shift.activity
        event = Event()
        event.add("uid", shift_uid(shift))
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.starts_at.astimezone(SHANGHAI))
        event.add("dtend", shift.ends_at.astimezone(SHANGHAI))
        summary = activity.title + (f" · {shift.role}" if shift.role else "")
        event.add("summary", summary)
        if activity.description:
            event.add("description", activity.description)
        places = (
            activity.town and activity.town.name_zh,
            activity.village and activity.village.name_zh,
            activity.venue,
        )
        location = " ".join(part for part in places if part)
        if location:
            event.add("location", location)
        organizer = vCalAddress(f"urn:shouhu:organization:{activity.organization.code}")
        organizer.params["cn"] = vText(activity.organization.name_zh)
        event.add("organizer", organizer)
        event.add("url", url_for_activity(activity))
        event.add("sequence", activity.sequence)
        event.add("last-modified", activity.updated_at)
        cancelled = activity.status == ActivityStatus.CANCELLED or shift.id in cancelled_ids
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
