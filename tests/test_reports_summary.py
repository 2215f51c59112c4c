"""The summary page: figures by town and plan task, charts, and the plan years side by side."""

from __future__ import annotations

import html
import re
from datetime import date

from app.activities.models import ActivityKind
from tests.conftest import Auth
from tests.test_reports_departments import at, dataset, held  # noqa: F401 - the shared data set fixture


def test_summary_by_town_task_month_and_year(app, dataset, make):  # noqa: F811
    held(app, "police", at(date(2025, 5, 1), 9), at(date(2025, 5, 1), 11), kind=ActivityKind.LEGAL_EDUCATION)
    auth = Auth(app.test_client())
    auth.login("boss")
    page = html.unescape(auth.client.get("/reports/summary?year=2026&lang=en").get_data(as_text=True))
    assert page.count("<svg") == 3
    assert "Activities per department" in page and "Activities per month" in page
    task13 = re.search(r"<td>13 Safety education</td><td>(\d+)</td><td>(\d+)</td><td>([\d.]+)</td><td>(\d+)</td>", page)
    assert task13.groups() == ("1", "2", "4.0", "2")
    yoy = re.search(r"<td>Activities held</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert yoy.groups() == ("0", "1", "3")


def test_summary_is_for_the_county(app, make):
    from app.auth.models import Role

    auth = Auth(app.test_client())
    auth.login(make.user(Role.COORDINATOR, organization="youth-league").username)
    assert auth.client.get("/reports/summary").status_code == 403
    assert auth.client.get("/reports/compliance?period=quarter").status_code == 403


def test_compliance_falls_back_to_the_year_for_other_periods(app, dataset):  # noqa: F811
    auth = Auth(app.test_client())
    auth.login("boss")
    assert auth.client.get("/reports/compliance?period=quarter&quarter=2").status_code == 200
