"""Text no person types: the control characters refused in every form field, query string and uploaded cell."""

from __future__ import annotations

import re
from collections.abc import Iterable

# C0 controls (tab, line feed and carriage return excepted), DEL and the NUL that PostgreSQL refuses in text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(values: Iterable[str]) -> bool:
    return any(CONTROL_CHARACTERS.search(value) for value in values if value)
