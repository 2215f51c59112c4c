"""One date style per language: Chinese 12月9日（周三）09:00–12:00, English Wed 9 Dec, 09:00–12:00, Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app import formatting
from app.formatting import clock, date_filter, datetime_filter, day, month, when

ZH, EN = "zh_Hans_CN", "en"


def utc(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@pytest.fixture
def in_language(app, monkeypatch):
    """A request in the language asked for, with Beijing's today fixed at Friday 4 December 2026."""
    monkeypatch.setattr(formatting, "today", lambda: date(2026, 12, 4))

    def enter(locale: str):
        context = app.test_request_context(f"/?lang={locale}")
        context.push()
        return context

    contexts = []
    yield lambda locale: contexts.append(enter(locale))
    for context in reversed(contexts):
        context.pop()


@pytest.mark.parametrize(
    ("locale", "expected"),
    [(ZH, "12月9日（周三）09:00–12:00"), (EN, "Wed 9 Dec, 09:00–12:00")],
)
def test_a_range_on_one_day_shows_its_date_once(in_language, locale, expected):
    in_language(locale)
    assert when(utc(2026, 12, 9, 1), utc(2026, 12, 9, 4)) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (ZH, "12月9日（周三）20:00 – 12月10日（周四）10:00"),
        (EN, "Wed 9 Dec, 20:00 – Thu 10 Dec, 10:00"),
    ],
)
def test_a_range_over_two_days_shows_both_dates(in_language, locale, expected):
    in_language(locale)
    assert when(utc(2026, 12, 9, 12), utc(2026, 12, 10, 2)) == expected


@pytest.mark.parametrize(
    ("locale", "today", "tomorrow"),
    [(ZH, "今天（周五）09:00", "明天（周六）09:00–11:00"), (EN, "Today, 09:00", "Tomorrow, 09:00–11:00")],
)
def test_today_and_tomorrow_are_named(in_language, locale, today, tomorrow):
    in_language(locale)
    assert when(utc(2026, 12, 4, 1)) == today
    assert when(utc(2026, 12, 5, 1), utc(2026, 12, 5, 3)) == tomorrow
    assert when(utc(2026, 12, 5, 1), relative=False).startswith(("12月5日（周六）", "Sat 5 Dec"))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [(ZH, "2025年12月9日（周二）"), (EN, "Tue 9 Dec 2025")],
)
def test_the_year_is_shown_only_when_it_is_not_this_year(in_language, locale, expected):
    in_language(locale)
    assert day(date(2025, 12, 9)) == expected
    assert "2026" not in day(date(2026, 3, 1))
    assert "2027" in day(date(2027, 1, 5))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [(ZH, ("12月10日（周四）00:00", "12月9日（周三）23:59")), (EN, ("Thu 10 Dec, 00:00", "Wed 9 Dec, 23:59"))],
)
def test_midnight_is_beijing_midnight(in_language, locale, expected):
    """16:00 UTC is midnight in Beijing: the day changes there, not at UTC midnight."""
    in_language(locale)
    assert when(utc(2026, 12, 9, 16)) == expected[0]
    assert when(utc(2026, 12, 9, 15, 59)) == expected[1]


def test_a_range_ending_at_midnight_ends_at_24_00_of_its_day(in_language):
    in_language(ZH)
    assert when(utc(2026, 12, 9, 10), utc(2026, 12, 9, 16)) == "12月9日（周三）18:00–24:00"
    assert when(utc(2026, 12, 9, 16), utc(2026, 12, 10, 2)) == "12月10日（周四）00:00–10:00"


def test_the_clock_has_24_hours_in_english_too(in_language):
    in_language(EN)
    assert clock(utc(2026, 12, 9, 11, 5)) == "19:05"
    assert datetime_filter(utc(2026, 12, 9, 11, 5), "HH:mm") == "19:05"
    assert datetime_filter(utc(2026, 12, 9, 11, 5), "short") == "Wed 9 Dec, 19:05"


@pytest.mark.parametrize(("locale", "expected"), [(ZH, ("2026年12月", "3月4日")), (EN, ("December 2026", "4 Mar"))])
def test_months_and_plain_dates(in_language, locale, expected):
    in_language(locale)
    assert month(date(2026, 12, 1)) == expected[0]
    assert day(date(2026, 3, 4), weekday=False) == expected[1]
    assert date_filter(date(2026, 12, 1), "yyyy-MM") == expected[0]


def test_nothing_shows_as_nothing(in_language):
    in_language(ZH)
    assert when(None) == day(None) == clock(None) == month(None) == date_filter(None) == datetime_filter(None) == ""
