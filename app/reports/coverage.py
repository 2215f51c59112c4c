"""Safety coverage per child: who on file attended an activity on a safety topic this year, before a given date."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select

from app.activities.models import Activity, ActivityStatus
from app.childcare.models import Attendance, Child, ChildStatus
from app.extensions import db
from app.timeutils import local_to_utc


@dataclass
class Coverage:
    children: int = 0
    covered: int = 0
    missing: list[Child] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.covered / self.children if self.children else None


def safety_coverage(children_query, topic: str, until: date) -> dict[tuple[int, int], Coverage]:
    """Per (town, village): active children of ``children_query`` and how many attended an activity on ``topic``
    from 1 January to ``until``. Three queries."""
    start = local_to_utc(date(until.year, 1, 1), time(0))
    end = local_to_utc(until, time(23, 59))
    activities = [
        a.id
        for a in db.session.execute(
            select(Activity.id, Activity.safety_topics).where(
                Activity.status.in_([ActivityStatus.COMPLETED, ActivityStatus.PUBLISHED]),
                Activity.starts_at >= start,
                Activity.starts_at <= end,
            )
        )
        if topic in (a.safety_topics or [])
    ]
    attended = set()
    if activities:
        attended = set(db.session.scalars(select(Attendance.child_id).where(Attendance.activity_id.in_(activities))))
    result: dict[tuple[int, int], Coverage] = defaultdict(Coverage)
    for child in db.session.scalars(children_query.where(Child.status == ChildStatus.ACTIVE).order_by(Child.name)):
        row = result[(child.town_id, child.village_id)]
        row.children += 1
        if child.id in attended:
            row.covered += 1
        else:
            row.missing.append(child)
    return result
