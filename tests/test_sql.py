"""The dialect-specific SQL of ``app.sql`` gives the same answers as Python, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Date, literal, select

from app.db_types import UTCDateTime
from app.extensions import db
from app.sql import LocalDate, MonthKey, MonthStart, WeekNumber, WeekStart
from app.timeutils import to_local

# Also through pgbouncer in transaction mode (tests/conftest.py).
pytestmark = pytest.mark.pgbouncer


def test_week_and_month_starts(app):
    days = [date(1970, 1, 5), date(2024, 2, 29), date(2025, 12, 28), date(2025, 12, 29), date(2026, 1, 4)]
    with app.app_context():
        for day in days:
            value = literal(day, Date)
            monday, first = db.session.execute(select(WeekStart(value), MonthStart(value))).one()
            assert monday == day - timedelta(days=day.weekday())
            assert first == day.replace(day=1)


def test_week_numbers_and_month_keys_tell_weeks_and_months_apart(app):
    """Equal to the Python week number R3 counts with; one month key per calendar month."""
    from app.reports.visit_rules import week_key as _week

    days = [date(1970, 1, 5), date(2024, 2, 29), date(2025, 12, 28), date(2025, 12, 29), date(2026, 1, 4)]
    days += [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 400, 13)]
    with app.app_context():
        keys = {}
        for day in days:
            week, month = db.session.execute(select(WeekNumber(literal(day, Date)), MonthKey(literal(day, Date)))).one()
            assert week == _week(day), day
            keys.setdefault(month, set()).add((day.year, day.month))
        assert all(len(months) == 1 for months in keys.values())
        assert len(keys) == len({(d.year, d.month) for d in days})


def test_local_day_of_a_utc_timestamp(app):
    """16:00 UTC is midnight in Feng County: the next calendar day; a microsecond before is still the same day."""
    moments = [
        datetime(2026, 6, 30, 15, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 6, 30, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
    ]
    with app.app_context():
        for moment in moments:
            day = db.session.scalar(select(LocalDate(literal(moment, UTCDateTime))))
            assert day == to_local(moment).date()
