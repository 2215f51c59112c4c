"""R3 over a year: child-weeks with a contact and child-months with a home visit, counted by hand."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from app.auth.models import Role
from app.childcare.models import Child, Visit, VisitKind
from app.extensions import db
from tests.conftest import Auth


def test_weeks_and_months_met_in_a_past_year(app, make):
    village = make.village(name_zh="走访村", name_en="Visit Village")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, created_at=datetime(2025, 1, 1, 2, tzinfo=UTC))
    risky = make.child(village.id, risk_flags=["behaviour"], created_at=datetime(2025, 1, 1, 2, tzinfo=UTC))
    with app.app_context():
        for day, kind in (
            (date(2025, 1, 2), VisitKind.PHONE),
            (date(2025, 3, 10), VisitKind.HOME),
            (date(2025, 3, 20), VisitKind.HOME),
        ):
            db.session.add(Visit(child_id=child.id, kind=kind, visited_on=day, findings="x", author_id=director.id))
        db.session.commit()
        assert db.session.get(Child, risky.id).risk_flags
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    page = html.unescape(supervisor.client.get("/reports/visits?year=2025&lang=en").get_data(as_text=True))
    # Both children: 52 weeks and 12 months each; only the first was contacted (3 weeks) and visited (March).
    page = re.sub(r">\s+<", "><", page)
    assert "<td>Visit Village</td><td>3/104 (3%)</td><td>1/24 (4%)</td><td>0% / 0%</td>" in page
    volunteer = Auth(app.test_client())
    volunteer.login(make.user().username)
    assert volunteer.client.get("/reports/visits").status_code == 403
