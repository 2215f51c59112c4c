"""Ages and the files' age limits: calendar arithmetic that never raises (29 February included)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select

from app.childcare.models import Child, ChildCategory, ChildStatus
from app.extensions import db

# The national survey's definitions: a left-behind child stops being one at 16, a child in difficulty at 18.
LEFT_BEHIND_LIMIT = 16
DIFFICULTY_LIMIT = 18


def years_before(day: date, years: int) -> date:
    """The same day ``years`` years earlier; 29 February becomes 28 February in a year that has none
    (``date.replace(year=...)`` would raise)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_limit(categories: Iterable[str]) -> int:
    """The age at which a file reaches its limit: 16 when the child is on file only as a left-behind child, 18 for a
    child in difficulty (any other category, with or without left-behind) and for a file without a category."""
    chosen = set(categories or [])
    return LEFT_BEHIND_LIMIT if chosen == {ChildCategory.LEFT_BEHIND.value} else DIFFICULTY_LIMIT


def files_at_age_limit(query: Select, day: date) -> list[Child]:
    """The active files among ``query`` (a scoped ``select(Child)``) whose child has reached the file's age limit on
    ``day`` (see ``age_limit``: the categories decide), oldest first. They are for the child director to confirm
    closing (``CloseReason.AGE_LIMIT``): nothing closes by itself."""
    # Everyone who is 16 or older is a candidate; the categories (JSON, portable) are judged in Python.
    candidates = db.session.scalars(
        query.where(Child.status == ChildStatus.ACTIVE, Child.birth_date <= years_before(day, LEFT_BEHIND_LIMIT))
        .order_by(None)
        .order_by(Child.birth_date, Child.id)
    )
    return [child for child in candidates if child.birth_date <= years_before(day, age_limit(child.categories))]
