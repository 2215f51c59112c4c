"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

# The largest value of an INTEGER column on PostgreSQL: ids beyond it cannot exist, and asking for one would make
# the database raise an error instead of answering "not found".
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC: what every ``..._at`` column stores."""
    return datetime.now(UTC)


def row_id(value: str) -> int:
    """A row id from a query string or form (``request.args.get(..., type=row_id)``): a positive integer that fits an
    INTEGER column; anything else raises ``ValueError``, so the argument counts as absent."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


class RowIdConverter(IntegerConverter):
    """The ``<int:...>`` URL converter, bounded like ``row_id``: a too-large number in a URL is a 404."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL.

    Naive values are refused: a naive time in this code base is a bug (whose clock is it?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[StrEnum], length: int = 32) -> Enum:
    """A portable enum column: a VARCHAR holding the member's value (no native PostgreSQL type to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# The last page any list may be asked for: beyond it the offset would overflow a database integer.
MAX_PAGE = 100_000


def page_number() -> int:
    """The ``?page=`` of a list: a whole number from 1 to ``MAX_PAGE``; anything else (text, 0, 10**23) is page 1."""
    from flask import request

    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return number if 0 < number <= MAX_PAGE else 1
