"""The demo shows R3 as it is meant to be seen: files on record since 2024 with visit histories, so 2024, 2025
and 2026 have real figures on the visits report and the compliance page, and the director's list has work."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import func, select

from app.childcare.models import Child, Visit
from app.extensions import db
from tests.conftest import Auth


def figures(page: str, row: str) -> tuple[int, int, int, int]:
    """(weeks met, weeks, months met, months) of a row of the visits report."""
    text = re.sub(r">\s+<", "><", html.unescape(page))
    match = re.search(rf"<td>(?:<strong>)?{row}(?:</strong>)?</td><td>(?:<strong>)?(\d+)/(\d+) .*?(\d+)/(\d+) ", text)
    assert match, row
    return tuple(int(n) for n in match.groups())


def test_the_demo_has_real_r3_figures_for_2024_to_2026(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        since = db.session.execute(select(func.min(Child.on_record_since), func.max(Child.on_record_since))).one()
        assert date(2024, 3, 1) <= since[0] <= since[1] <= date(2024, 5, 31)
        assert db.session.scalar(select(func.min(Visit.visited_on))) < date(2024, 4, 1)
    admin = Auth(app.test_client())
    admin.login("admin", "shouhu-demo")
    for year in (2024, 2025, 2026):
        page = admin.client.get(f"/reports/visits?year={year}&lang=en").get_data(as_text=True)
        met_weeks, weeks, met_months, months = figures(page, "Shuangshipu Town")
        assert 0.5 < met_weeks / weeks < 1 and 0.4 < met_months / months < 1, year
        assert weeks >= 14 * 40 and months >= 14 * 9, year  # fourteen files judged over (almost) the whole year
        compliance = html.unescape(admin.client.get(f"/reports/compliance?year={year}&lang=en").get_data(as_text=True))
        r3 = compliance.split('rule-R3"', 1)[1].split("</li>", 1)[0]
        assert "has ended since" not in r3 and "child-weeks without a contact" in r3 and "Weeks with a contact: " in r3
    director = Auth(app.test_client())
    director.login("director-shuangshipu", "shouhu-demo")
    due = director.client.get("/children/visits-due?lang=en").get_data(as_text=True)
    assert "days overdue" in due and "Risk flag" in due


def test_the_demo_puts_problems_raised_by_others_first_on_the_directors_home_page(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    director = Auth(app.test_client())
    director.login("director-shuangshipu", "shouhu-demo")
    page = director.client.get("/?lang=en").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    raised = main.index("raised by others")
    assert raised < main.index("Visits due") < main.index("What you can do")
    problems = main[raised : main.index("Visits due")]
    for origin in ("Concern noted at activity", "Raised by a mentor", "town supervisor"):
        assert origin in problems
    coordinator = Auth(app.test_client())
    coordinator.login("social-work-shuangshipu", "shouhu-demo")
    assert "Mark as held" in coordinator.client.get("/?lang=en").get_data(as_text=True)
    supervisor = Auth(app.test_client())
    supervisor.login("supervisor-shuangshipu", "shouhu-demo")
    assert "unresolved" in supervisor.client.get("/?lang=en").get_data(as_text=True).lower()
