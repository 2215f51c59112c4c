"""SQL the reports need that SQLite and PostgreSQL spell differently, as SQLAlchemy constructs.

Each construct compiles to PostgreSQL's spelling by default and to SQLite's where it differs, so report queries are
written once. Timestamps are UTC (see ``UTCDateTime``); on SQLite they are stored as ``YYYY-MM-DD HH:MM:SS.ffffff``
and dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

from sqlalchemy import Date, Integer, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Feng County keeps China Standard Time: UTC+8 all year, no daylight saving since 1991.
LOCAL_OFFSET_HOURS = 8


class LocalDate(FunctionElement):
    """The Beijing-time calendar day of a UTC timestamp, as a DATE."""

    type = Date()
    name = "local_date"
    inherit_cache = True


class WeekStart(FunctionElement):
    """The Monday of a DATE's week."""

    type = Date()
    name = "week_start"
    inherit_cache = True


class MonthStart(FunctionElement):
    """The first day of a DATE's month."""

    type = Date()
    name = "month_start"
    inherit_cache = True


class WeekNumber(FunctionElement):
    """A DATE's Monday-to-Sunday week as an integer (weeks since Monday 1970-01-05): a cheap key to count distinct
    weeks by, equal to ``visit_rules._week``."""

    type = Integer()
    name = "week_number"
    inherit_cache = True


class MonthKey(FunctionElement):
    """A key per calendar month of a DATE, to count distinct months by (its first day, or 'YYYY-MM' on SQLite)."""

    type = String()
    name = "month_key"
    inherit_cache = True


@compiles(LocalDate)
def _local_date(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai' AS DATE)"


@compiles(LocalDate, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # Whole seconds only: SQLite rounds fractions to milliseconds, and 23:59:59.9999 must stay on its day.
    return f"date(substr({compiler.process(element.clauses, **kw)}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours')"


@compiles(WeekStart)
def _week_start(element, compiler, **kw):
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(WeekStart, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(MonthStart)
def _month_start(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(MonthStart, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(WeekNumber)
def _week_number(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)} - DATE '1970-01-01') + 3) / 7"


@compiles(WeekNumber, "sqlite")
def _week_number_sqlite(element, compiler, **kw):
    # julianday() of a date is N.5; the difference from 1970-01-01 is a whole number of days.
    return f"(CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER) + 3) / 7"


@compiles(MonthKey)
def _month_key(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(MonthKey, "sqlite")
def _month_key_sqlite(element, compiler, **kw):
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


class DayNumber(FunctionElement):
    """A DATE as the number of days since 1970-01-01 (a Thursday): the week's day is ``(n + 3) % 7`` (Monday 0)
    and ``(n + 3) // 7`` is ``WeekNumber``. Cheap arithmetic for R3's windows."""

    type = Integer()
    name = "day_number"
    inherit_cache = True


class MonthNumber(FunctionElement):
    """A DATE's month as ``year * 12 + month``: consecutive months are consecutive numbers."""

    type = Integer()
    name = "month_number"
    inherit_cache = True


class DayOfMonth(FunctionElement):
    """A DATE's day of the month, 1 to 31."""

    type = Integer()
    name = "day_of_month"
    inherit_cache = True


@compiles(DayNumber)
def _day_number(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


@compiles(DayNumber, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(MonthNumber)
def _month_number(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER))"


@compiles(MonthNumber, "sqlite")
def _month_number_sqlite(element, compiler, **kw):
    # Dates are stored as YYYY-MM-DD text: substr is far cheaper than strftime.
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(substr({day}, 1, 4) AS INTEGER) * 12 + CAST(substr({day}, 6, 2) AS INTEGER))"


@compiles(DayOfMonth)
def _day_of_month(element, compiler, **kw):
    return f"CAST(EXTRACT(DAY FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(DayOfMonth, "sqlite")
def _day_of_month_sqlite(element, compiler, **kw):
    return f"CAST(substr({compiler.process(element.clauses, **kw)}, 9, 2) AS INTEGER)"


def json_items(column, dialect_name: str, *, integers: bool = False):
    """The elements of a JSON array column as a table with one ``value`` column: (table, value expression)."""
    if dialect_name == "postgresql":
        table = func.json_array_elements_text(column).table_valued("value").render_derived()
        return table, cast(table.c.value, Integer if integers else String)
    table = func.json_each(column).table_valued("value")
    return table, table.c.value
