"""Feng County's clock: times are stored in UTC and entered and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_to_utc(day: date, clock: time) -> datetime:
    """A date and time typed in Feng County, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def local_day_start(day: date) -> datetime:
    return local_to_utc(day, time(0, 0))
