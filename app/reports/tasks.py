"""The plan's 18 tasks as report columns: a short name with the number ("1 德育"), the full one in a tooltip
(``app.activities.labels.PLAN_TASK_LABELS``), so 18 columns fit a phone's scroll and an A4 page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.activities.labels import PLAN_TASK_LABELS

PLAN_TASK_SHORT = {
    1: _l("1 Morals"),
    2: _l("2 Mind"),
    3: _l("3 Culture"),
    4: _l("4 Guardians"),
    5: _l("5 Entrusted"),
    6: _l("6 Intervene"),
    7: _l("7 Fallback"),
    8: _l("8 Files"),
    9: _l("9 Relief"),
    10: _l("10 School"),
    11: _l("11 Daily care"),
    12: _l("12 Source"),
    13: _l("13 Safety ed."),
    14: _l("14 Risks"),
    15: _l("15 Online"),
    16: _l("16 Directors"),
    17: _l("17 Society"),
    18: _l("18 Digital"),
}


def task_short(n: int) -> str:
    return str(PLAN_TASK_SHORT[n])


def task_full(n: int) -> str:
    return str(PLAN_TASK_LABELS[n])
