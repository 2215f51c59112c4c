"""How the staff's messages read: coordinators' summaries and reminders, a child director's alerts and digest, a
supervisor's escalations, the administrator's progress-report reminders.

Digests go to the inbox and by e-mail only. Nothing here that leaves the site (SMS, e-mail) names a child: a minor's
name is sensitive, so a message says "one of your children" or the file number and links to the file.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.formatting import day
from app.i18n import is_chinese
from app.notifications.kinds import Rendered, kind, when
from app.notifications.models import Channel

DIGEST = (Channel.EMAIL,)
MAX_LINES = 10  # rows a digest lists; the rest are behind its link


def _day(iso: str) -> str:
    return day(date.fromisoformat(iso), relative=False)


def _more(total: int, shown: int) -> str:
    return "\n" + _("… and %(n)d more.", n=total - shown) if total > shown else ""


# --- coordinators -------------------------------------------------------------------------------------------------


@kind("shifts_tomorrow", _l("Tomorrow's shifts"), channels=DIGEST)
def _shifts_tomorrow(p: dict) -> Rendered:
    lines = [
        _(
            "%(when)s “%(title)s”: %(taken)d of %(capacity)d places filled, %(waiting)d on the waitlist, "
            "%(cancelled)d cancelled",
            when=when(row),
            title=row["title"],
            taken=row["taken"],
            capacity=row["capacity"],
            waiting=row["waiting"],
            cancelled=row["cancelled"],
        )
        for row in p["shifts"][:MAX_LINES]
    ]
    text = _("Your organization's shifts tomorrow (%(day)s):", day=_day(p["day"])) + "\n" + "\n".join(lines)
    return Rendered(
        _("Tomorrow's shifts: %(day)s", day=_day(p["day"])),
        text + _more(len(p["shifts"]), len(lines)),
        "/manage/activities",
    )


@kind("activities_to_close", _l("Activities ended but not closed"), channels=DIGEST)
def _activities_to_close(p: dict) -> Rendered:
    text = ngettext(
        "%(num)d activity has ended but is not closed yet: it counts in no report until you mark it completed.",
        "%(num)d activities have ended but are not closed yet: they count in no report until you mark them completed.",
        p["total"],
    )
    lines = "\n".join(f"· {title}" for title in p["titles"])
    return Rendered(
        _("Activities to close"), f"{text}\n{lines}{_more(p['total'], len(p['titles']))}", "/worklist/activities"
    )


@kind("screening_expiring", _l("A mentor's screening expires"), channels=DIGEST)
def _screening_expiring(p: dict) -> Rendered:
    text = _(
        "The screening of mentor %(name)s expires on %(day)s. Renew it in time, or their sessions pause.",
        name=p["name"],
        day=_day(p["until"]),
    )
    return Rendered(_("Screening expires: %(name)s", name=p["name"]), text, "/mentoring/manage")


# --- child directors ----------------------------------------------------------------------------------------------


def _origin(p: dict) -> str:
    source = p.get("source")
    if source == "activity":
        if p.get("activity"):
            return _("Concern noted at activity “%(title)s”", title=p["activity"])
        return _("Concern noted at an activity")
    if source == "mentoring":
        return _("Raised by a mentor")
    if source == "check":
        return _("Noted at a file check")
    return _("Raised by %(name)s", name=p.get("author", ""))


@kind("problem_raised", _l("A problem on one of your files"))
def _problem_raised(p: dict) -> Rendered:
    """No child's name: the text also goes by e-mail, the SMS carries only the file number."""
    text = _(
        "%(origin)s: a problem was recorded on one of your children's files (file no. %(number)s). Please look at "
        "it soon.",
        origin=_origin(p),
        number=p["child"],
    )
    return Rendered(
        _("New problem on file no. %(number)s", number=p["child"]), text, f"/children/{p['child']}", [str(p["child"])]
    )


@kind("visits_digest", _l("Visits this week"), channels=DIGEST)
def _visits_digest(p: dict) -> Rendered:
    text = _(
        "Visits overdue: %(overdue)d. Due within a week: %(due)d. The list, child by child, is on your visits page.",
        overdue=p["overdue"],
        due=p["due"],
    )
    return Rendered(_("Visits this week"), text, "/children/visits-due")


# --- supervisors --------------------------------------------------------------------------------------------------


@kind("problems_escalated", _l("Problems left unresolved"), channels=DIGEST)
def _problems_escalated(p: dict) -> Rendered:
    text = ngettext(
        "%(num)d problem in your town has been unresolved for more than %(days)d days.",
        "%(num)d problems in your town have been unresolved for more than %(days)d days.",
        p["total"],
        days=p["days"],
    )
    return Rendered(_("Problems left unresolved"), text, "/worklist/escalated")


# --- the administrator --------------------------------------------------------------------------------------------


@kind("progress_reports_due", _l("Progress reports due"), channels=DIGEST)
def _progress_reports_due(p: dict) -> Rendered:
    names = "、".join(town["zh"] for town in p["towns"]) if is_chinese() else ", ".join(t["en"] for t in p["towns"])
    text = _(
        "The towns' progress reports for %(year)d are due on %(deadline)s. Not submitted yet: %(towns)s.",
        year=p["year"],
        deadline=_day(p["deadline"]),
        towns=names,
    )
    return Rendered(_("Progress reports due"), text, "/reports/progress")
