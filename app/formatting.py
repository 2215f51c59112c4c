"""Jinja filters: one date style per language, times in Asia/Shanghai on a 24-hour clock, numbers per locale.

Chinese ``12月9日（周三）09:00–12:00``, English ``Wed 9 Dec, 09:00–12:00``; the year only when it is not this year;
今天/明天 (Today/Tomorrow) where they apply; a range on one day shows its date once. ISO dates stay in exports and in
``<time datetime>`` attributes, which do not use these filters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext

from app.db_types import utcnow
from app.timeutils import to_local

# Babel date patterns per language: (this year, another year). Literal text needs no quoting unless it is ASCII.
_PATTERNS = {
    "zh": {
        "day": ("M月d日（EEE）", "y年M月d日（EEE）"),
        "plain": ("M月d日", "y年M月d日"),
        "relative": "{word}（{weekday}）",
        "at": "{day}{time}",
        "month": "y年M月",
    },
    "en": {
        "day": ("EEE d MMM", "EEE d MMM y"),
        "plain": ("d MMM", "d MMM y"),
        "relative": "{word}",
        "at": "{day}, {time}",
        "month": "MMMM y",
    },
}
_DASH = "–"


def _patterns() -> dict:
    return _PATTERNS["zh" if str(get_locale() or "").startswith("zh") else "en"]


def today() -> date:
    """Today in Feng County (Beijing time), which decides 今天/明天 and whether a year is shown."""
    return to_local(utcnow()).date()


def _as_local(value: date | datetime) -> date | datetime:
    return to_local(value) if isinstance(value, datetime) else value


def day(value: date | datetime | None, relative: bool = True, weekday: bool = True) -> str:
    """A day: ``12月9日（周三）`` / ``Wed 9 Dec``, the year added when it is not this year, 今天/明天 when
    ``relative``; without ``weekday`` for dates such as a birth date (``2019年3月4日`` / ``4 Mar 2019``)."""
    if value is None:
        return ""
    local = _as_local(value)
    the_day = local.date() if isinstance(local, datetime) else local
    patterns = _patterns()
    now = today()
    if relative and the_day in (now, now + timedelta(days=1)):
        word = gettext("Today") if the_day == now else gettext("Tomorrow")
        return patterns["relative"].format(word=word, weekday=format_date(the_day, "EEE"))
    this_year, other_year = patterns["day" if weekday else "plain"]
    return format_date(the_day, this_year if the_day.year == now.year else other_year)


def clock(value: datetime | None) -> str:
    """A time of day in Beijing time on the 24-hour clock: ``09:00``."""
    return to_local(value).strftime("%H:%M") if value else ""


def when(start: datetime | None, end: datetime | None = None, relative: bool = True) -> str:
    """A moment or a range, its date shown once when it starts and ends on one day: ``12月9日（周三）09:00–12:00``,
    ``Wed 9 Dec, 09:00–12:00``; over two days both dates. A range ending at midnight ends at 24:00 of its day."""
    if start is None:
        return ""
    at = _patterns()["at"]
    first = at.format(day=day(start, relative), time=clock(start))
    if end is None:
        return first
    start_day, end_local = to_local(start).date(), to_local(end)
    if end_local.date() == start_day:
        return first + _DASH + clock(end)
    if end_local.date() == start_day + timedelta(days=1) and (end_local.hour, end_local.minute) == (0, 0):
        return first + _DASH + "24:00"
    return first + " " + _DASH + " " + at.format(day=day(end, relative), time=clock(end))


def month(value: date | datetime | None) -> str:
    """A month: ``2026年12月`` / ``December 2026``."""
    return format_date(_as_local(value), _patterns()["month"]) if value else ""


def datetime_filter(value: datetime | None, fmt: str | None = None) -> str:
    """A moment in the site's style (``|datetime``); ``'HH:mm'`` gives the clock alone; an explicit Babel pattern
    other than the named widths is kept for the few places that need one."""
    if value is None:
        return ""
    if fmt == "HH:mm":
        return clock(value)
    if fmt in (None, "short", "medium", "long", "full"):
        return when(value)
    return format_datetime(value, fmt)


def date_filter(value: date | datetime | None, fmt: str | None = None) -> str:
    """A day in the site's style (``|date``); ``'yyyy-MM'`` gives the month."""
    if value is None:
        return ""
    if fmt == "yyyy-MM":
        return month(value)
    return day(value)


def number_filter(value: int | float | None) -> str:
    return format_decimal(value) if value is not None else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        datetime=datetime_filter,
        date=date_filter,
        day=day,
        clock=clock,
        when=when,
        month=month,
        number=number_filter,
    )
    app.jinja_env.globals.update(when=when)
