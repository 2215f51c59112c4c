"""Every report table downloads as CSV and XLSX with the page's figures; exports are audited, and those about
children carry counts, never names."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.activities.models import ActivityKind, SafetyTopic
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.models import Attendance, Visit, VisitKind
from app.extensions import db
from tests.conftest import Auth
from tests.test_reports_departments import at, dataset, held  # noqa: F401 - the shared data set fixture
from tests.test_reports_progress import add_report


def files(auth: Auth, path: str) -> tuple[list[list[str]], dict[str, list[list]]]:
    """(CSV rows, {sheet title: rows}) of one report's two downloads."""
    base, _, query = path.partition("?")
    text = auth.client.get(f"{base}.csv?{query}").get_data(as_text=True)
    assert text.startswith("\ufeff")
    response = auth.client.get(f"{base}.xlsx?{query}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    sheets = {}
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "B4" and "Generated" in sheet["A2"].value
        sheets[sheet.title] = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")))), sheets


def same(rows: list[list]) -> list[list]:
    """Cells compared by value: "4.0" in a CSV and 4 in a workbook are the same figure."""

    def value(cell):
        try:
            return float(cell)
        except (TypeError, ValueError):
            return "" if cell is None else str(cell)

    return [[value(cell) for cell in row] for row in rows]


def audited(app, report: str) -> int:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.exported")).all()
        return sum(1 for e in entries if (e.detail or {}).get("report") == report)


def test_summary_files_equal_the_page(app, dataset):  # noqa: F811
    held(app, "police", at(date(2025, 5, 1), 9), at(date(2025, 5, 1), 11), kind=ActivityKind.LEGAL_EDUCATION)
    auth = Auth(app.test_client())
    auth.login("boss")
    page = html.unescape(auth.client.get("/reports/summary?year=2026&lang=en").get_data(as_text=True))
    rows, sheets = files(auth, "/reports/summary?year=2026&lang=en")
    assert set(sheets) == {
        "By town",
        "By plan task",
        "Year on year",
        "Activities per department",
        "Activities per month",
    }
    task13 = next(r for r in sheets["By plan task"] if r[0] == "13 Safety education")
    assert task13 == ["13 Safety education", 1, 2, 4.0, 2]
    assert "<td>13 Safety education</td><td>1</td><td>2</td><td>4.0</td><td>2</td>" in page
    assert sheets["Year on year"][1] == ["Activities held", 0, 1, 3]
    assert next(r for r in sheets["Activities per month"] if r[0] == "2026-03") == ["2026-03", 1]
    # The CSV holds every table, each under its title, with the same rows as the workbook.
    assert rows[0][0] == "Report summary, 2026"
    titles = [i for i, r in enumerate(rows) if len(r) == 1 and r[0] in sheets]
    assert [rows[i][0] for i in titles] == list(sheets)
    assert same(rows[titles[1] + 1 : titles[2] - 1]) == same(sheets["By plan task"])
    assert audited(app, "summary") == 2


def test_compliance_and_progress_files(app, make):
    admin_user = make.admin()
    add_report(app, "hekou", 2025, datetime(2025, 11, 3, 2, tzinfo=UTC), admin_user.id)
    auth = Auth(app.test_client())
    auth.login(admin_user.username)
    _rows, sheets = files(auth, "/reports/compliance?year=2025&lang=en")
    (table,) = sheets.values()
    assert table[0] == ["Rule", "Requirement", "Status", "Missing", "Still to do", "Details"]
    r8 = next(r for r in table if r[0] == "R8")
    assert r8[2] == "Not met" and "Hekou Town (late)" in r8[3]
    page = html.unescape(auth.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True))
    assert sum(1 for r in table[1:] if r[2] == "Met") == page.count('class="tag ok">Met')
    _rows, sheets = files(auth, "/reports/progress?year=2025&lang=en")
    (table,) = sheets.values()
    assert ["Hekou Town", "Submitted", "2025-11-03 10:00", admin_user.name, "late"] in table
    assert audited(app, "compliance") == 2 and audited(app, "progress-reports") == 2


def test_visit_and_coverage_files_hold_counts_never_names(app, make):
    make.admin()  # the author of the activities below
    village = make.village("shuangshipu", name_zh="导出村", name_en="Export Village")
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child = make.child(village.id, name="李小花", on_record_since=date(2025, 1, 1))
    make.child(village.id, name="王未到", on_record_since=date(2025, 1, 1))
    lecture = held(
        app,
        "youth-league",
        at(date(2025, 5, 20), 9),
        at(date(2025, 5, 20), 10),
        kind=ActivityKind.SAFETY_VILLAGE,
        topics=[SafetyTopic.DROWNING],
    )
    with app.app_context():
        db.session.add(Attendance(activity_id=lecture, child_id=child.id, marked_by_id=director.id))
        db.session.add(
            Visit(child_id=child.id, kind=VisitKind.HOME, visited_on=date(2025, 3, 10), author_id=director.id)
        )
        db.session.commit()
    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="shuangshipu").username)
    page = html.unescape(
        supervisor.client.get("/reports/safety-coverage?topic=drowning&until=2025-07-01&lang=en").get_data(as_text=True)
    )
    assert "王未到" in page  # the supervisor sees the name on the page...
    rows, sheets = files(supervisor, "/reports/safety-coverage?topic=drowning&until=2025-07-01&lang=en")
    assert ["Shuangshipu Town", "Export Village", 2, 1, 1] in sheets["By village or community"]
    assert ["Shuangshipu Town", 2, 1, 1] in sheets["By town"]
    assert re.search(r"Shuangshipu Town\s*<span class=\"tag\">1 / 2</span>", page)  # the town's total on the page
    assert "王未到" not in str(rows) + str(sheets) and "李小花" not in str(rows) + str(sheets)  # ...never in a file
    _rows, sheets = files(supervisor, "/reports/visits?year=2025&lang=en")
    village_row = next(r for r in sheets["By village or community"] if r[0] == "Export Village")
    page = re.sub(
        r">\s+<", "><", html.unescape(supervisor.client.get("/reports/visits?year=2025&lang=en").get_data(as_text=True))
    )
    assert f"<td>Export Village</td><td>{village_row[1]}/{village_row[2]} ({village_row[3]})</td>" in page
    assert village_row[4:7] == [1, 24, "4%"]
    assert audited(app, "safety-coverage") == 2 and audited(app, "visits") == 2


@pytest.mark.parametrize(
    "path", ["/reports/summary.csv", "/reports/compliance.xlsx", "/reports/progress.csv", "/reports/visits.xlsx"]
)
def test_exports_keep_the_pages_permissions(app, make, path):
    coordinator = Auth(app.test_client())
    coordinator.login(make.user(Role.COORDINATOR, organization="youth-league").username)
    assert coordinator.client.get(path).status_code == 403
    admin = Auth(app.test_client())
    admin.login(make.admin().username)
    assert admin.client.get(path.rsplit(".", 1)[0] + ".pdf").status_code == 404


def test_an_export_never_commits_what_the_caller_had_pending(app, make):
    """``download`` adds its audit entry to the caller's transaction and leaves the commit to the caller: rolled
    back, neither the caller's pending change nor the entry stays."""
    from app.auth.models import User
    from app.reports.exports import Table, download
    from app.reports.models import VacationDates

    admin_id = make.admin().id
    with app.test_request_context():
        pending = VacationDates(
            year=2031,
            winter_first=date(2031, 1, 20),
            winter_last=date(2031, 2, 20),
            summer_first=date(2031, 7, 10),
            summer_last=date(2031, 8, 31),
        )
        db.session.add(pending)
        response = download(
            "csv", name="pending-test", title="t", tables=[Table("t", ["a"], [[1]])], by=db.session.get(User, admin_id)
        )
        assert response.status_code == 200
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(VacationDates).where(VacationDates.year == 2031)) is None
    assert audited(app, "pending-test") == 0


def test_an_export_is_audited_with_who_exported_it(app, make):
    admin_user = make.admin()
    auth = Auth(app.test_client())
    auth.login(admin_user.username)
    assert auth.client.get("/reports/progress.csv?year=2025").status_code == 200
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.exported"))
        assert (entry.actor_id, entry.detail["report"], entry.detail["format"]) == (
            admin_user.id,
            "progress-reports",
            "csv",
        )
