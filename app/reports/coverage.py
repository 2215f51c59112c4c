"""Safety coverage per child: who on file attended a held activity on a safety topic this year, up to a given date.

Held is the one definition every report uses (``app.activities.models.held_activity``: closed as completed). An
activity that took place but that its coordinator has not yet closed covers nobody until it is closed, as it counts
for neither R1 nor the department report; it waits on the coordinator's home page to be closed with one tap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import case, func, select

from app.activities.models import Activity, held_activity
from app.childcare.models import Attendance, Child, ChildStatus
from app.extensions import db
from app.sql import json_items
from app.timeutils import local_to_utc


@dataclass
class Coverage:
    children: int = 0
    covered: int = 0
    missing: list[Child] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.covered / self.children if self.children else None


def safety_coverage(children_query, topic: str, until: date, *, names: bool = False) -> dict[tuple[int, int], Coverage]:
    """Per (town, village): active children of ``children_query`` and how many attended a held activity on
    ``topic`` from 1 January to ``until``; with ``names``, also which children have not. One aggregate query (two
    with names)."""
    topics, value = json_items(Activity.safety_topics, db.session.get_bind().dialect.name)
    attended = (
        select(Attendance.child_id)
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            held_activity(),
            Activity.starts_at >= local_to_utc(date(until.year, 1, 1), time(0)),
            Activity.starts_at < local_to_utc(until + timedelta(days=1), time(0)),
            select(value).select_from(topics).where(value == topic).exists(),
        )
    )
    active = children_query.where(Child.status == ChildStatus.ACTIVE)
    covered = Child.id.in_(attended)
    result: dict[tuple[int, int], Coverage] = {}
    for town_id, village_id, children, reached in db.session.execute(
        active.with_only_columns(
            Child.town_id, Child.village_id, func.count(), func.count(case((covered, 1)))
        ).group_by(Child.town_id, Child.village_id)
    ):
        result[(town_id, village_id)] = Coverage(children=children, covered=reached)
    if names:
        for child in db.session.scalars(active.where(~covered).order_by(Child.name)):
            result[(child.town_id, child.village_id)].missing.append(child)
    return result
