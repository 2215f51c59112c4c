"""Jinja filters: dates, times and numbers per locale, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal


def datetime_filter(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def date_filter(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, fmt if fmt != "medium" else "yyyy-MM-dd")
    return format_date(value, fmt)


def number_filter(value: int | float | None) -> str:
    return format_decimal(value) if value is not None else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(datetime=datetime_filter, date=date_filter, number=number_filter)
