"""R8: a town supervisor writes and submits the town's progress report; the bureau sees who and when, and lateness."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.childcare.services import today
from app.extensions import db
from app.reports.models import ProgressReport
from tests.conftest import Auth


def add_report(app, town_code: str, year: int, submitted_at: datetime, by_id: int, **sections) -> None:
    """A report of ``town_code`` for ``year``, submitted (for the first time) at ``submitted_at``."""
    from app.directory.models import Town

    with app.app_context():
        town = db.session.scalar(select(Town).where(Town.code == town_code))
        db.session.add(
            ProgressReport(
                town_id=town.id,
                year=year,
                submitted_at=submitted_at,
                first_submitted_at=submitted_at,
                submitted_by_id=by_id,
                **sections,
            )
        )
        db.session.commit()


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def test_supervisor_writes_saves_and_submits_the_report(app, make):
    supervisor = login(app, make.user(Role.TOWN_SUPERVISOR, town="shuangshipu", name="督导员甲"))
    village = make.village("shuangshipu")
    make.child(village.id, categories=["left_behind"])
    year = today().year
    url = f"/reports/progress/shuangshipu/{year}"
    page = supervisor.client.get(url + "?lang=en").get_data(as_text=True)
    assert "Children on file" in page and "Rural left-behind child 1" in page
    supervisor.post(url, {"achievements": "建成儿童之家三个", "difficulties": "", "next_measures": "", "save": ""})
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        assert report.achievements == "建成儿童之家三个" and report.submitted_at is None
    supervisor.post(
        url, {"achievements": "建成儿童之家三个", "difficulties": "人手不足", "next_measures": "增加培训", "submit": ""}
    )
    with app.app_context():
        assert db.session.scalar(select(ProgressReport.submitted_at)) is not None
    admin = login(app, make.admin())
    overview = html.unescape(admin.client.get(f"/reports/progress?year={year}&lang=en").get_data(as_text=True))
    assert "Submitted" in overview and "督导员甲" in overview


def test_late_submission_is_marked_and_fails_r8(app, make):
    admin_user = make.admin()
    add_report(app, "hekou", 2025, datetime(2025, 11, 3, tzinfo=UTC), admin_user.id)
    admin = login(app, admin_user)
    overview = admin.client.get("/reports/progress?year=2025&lang=en").get_data(as_text=True)
    assert "late" in overview
    compliance = html.unescape(admin.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True))
    r8 = compliance.split('rule-R8"', 1)[1].split("</li>", 1)[0]
    assert "Hekou Town (late)" in r8 and "Shuangshipu Town (not submitted)" in r8


def test_only_the_towns_supervisor_and_the_bureau_open_a_report(app, make):
    other = login(app, make.user(Role.TOWN_SUPERVISOR, town="hekou"))
    assert other.client.get("/reports/progress/shuangshipu/2026").status_code == 403
    director = login(app, make.user(Role.CHILD_DIRECTOR))
    assert director.client.get("/reports/progress/shuangshipu/2026").status_code == 403
    assert other.client.get("/reports/progress").status_code == 403
    assert (
        other.client.get("/reports/progress/mine")
        .headers["Location"]
        .endswith("/reports/progress/hekou/" + str(today().year))
    )


def test_submitting_needs_every_section_and_locks_the_report_until_the_bureau_returns_it(app, make):
    supervisor = login(app, make.user(Role.TOWN_SUPERVISOR, town="hekou", name="督导员乙"))
    url = f"/reports/progress/hekou/{today().year}"
    half = supervisor.post(url + "?lang=en", {"achievements": "只写了一节", "difficulties": " ", "submit": ""})
    assert half.status_code == 422 and "Write this section before submitting." in half.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ProgressReport)) is None  # nothing saved, nothing submitted
    sections = {"achievements": "成效", "difficulties": "困难", "next_measures": "措施"}
    supervisor.post(url, {**sections, "submit": ""})
    with app.app_context():
        first = db.session.scalar(select(ProgressReport))
        submitted_at = first.submitted_at
    again = supervisor.post(url + "?lang=en", {**sections, "achievements": "改写", "save": ""}, follow_redirects=True)
    assert "already been submitted" in again.get_data(as_text=True)
    page = supervisor.client.get(url).get_data(as_text=True)
    assert 'name="achievements"' not in page and "成效" in page  # shown as text, no form
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        assert (report.achievements, report.submitted_at) == ("成效", submitted_at)
    # Only the bureau returns a report, and says why.
    assert supervisor.post(url + "/return", {"reason": "请补充"}).status_code == 403
    admin = login(app, make.admin())
    assert "Return for revision" in admin.client.get(url + "?lang=en").get_data(as_text=True)
    admin.post(url + "/return", {"reason": ""})
    with app.app_context():
        assert db.session.scalar(select(ProgressReport.submitted_at)) is not None
    admin.post(url + "/return", {"reason": "   "})  # blank is no reason
    with app.app_context():
        assert db.session.scalar(select(ProgressReport.submitted_at)) is not None
    admin.post(url + "/return", {"reason": "请补充数据"})
    with app.app_context():
        assert db.session.scalar(select(ProgressReport.submitted_at)) is None
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "progress_report.returned"))
        assert entry.detail["reason"] == "请补充数据"
    # The town sees why, and so does the bureau's overview.
    assert "请补充数据" in supervisor.client.get(url).get_data(as_text=True)
    overview = admin.client.get(f"/reports/progress?year={today().year}&lang=en").get_data(as_text=True)
    assert "Returned for revision" in overview and "请补充数据" in overview
    supervisor.post(url, {**sections, "achievements": "改写后的成效", "submit": ""})
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        assert report.achievements == "改写后的成效" and report.submitted_at > submitted_at
        assert report.first_submitted_at == submitted_at


def test_a_report_returned_after_the_deadline_stays_on_time(app, make):
    """Judged on the first submission: sent on 20 October, returned on 5 November, sent again on 6 November."""
    from app.reports.progress import is_late

    admin_user = make.admin()
    sections = {"achievements": "成效", "difficulties": "困难", "next_measures": "措施"}
    add_report(app, "hekou", 2025, datetime(2025, 10, 20, 8, tzinfo=UTC), admin_user.id, **sections)
    admin = login(app, admin_user)
    admin.post("/reports/progress/hekou/2025/return", {"reason": "数据有误"})
    r8 = html.unescape(admin.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True))
    assert "Hekou Town (returned for revision)" in r8.split('rule-R8"', 1)[1].split("</li>", 1)[0]
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        report.submitted_at = datetime(2025, 11, 6, 8, tzinfo=UTC)
        db.session.commit()
        assert not is_late(report)
    r8 = html.unescape(admin.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True))
    assert "Hekou Town" not in r8.split('rule-R8"', 1)[1].split("</li>", 1)[0]


def test_a_past_years_figures_are_that_years(app, make):
    """Pairings active in the year; visit shares of the year; no 'up to date today' for a past year."""
    from datetime import date

    from tests.test_reports_filters import add_pairing

    admin_user = make.admin()
    village = make.village("hekou")
    child = make.child(village.id, on_record_since=date(2023, 6, 1))
    mentor = make.user(name="导师")
    with app.app_context():
        from app.childcare.models import Visit, VisitKind

        for day, kind in ((date(2024, 3, 5), VisitKind.HOME), (date(2024, 3, 6), VisitKind.PHONE)):
            db.session.add(Visit(child_id=child.id, kind=kind, visited_on=day, author_id=admin_user.id))
        db.session.commit()
    organization = make.organization("pairing-org")
    add_pairing(app, child.id, organization.id, mentor.id, admin_user.id, date(2024, 3, 1), ended=date(2024, 12, 1))
    add_pairing(app, child.id, organization.id, mentor.id, admin_user.id, date(2025, 2, 1))
    admin = login(app, admin_user)
    page = html.unescape(admin.client.get("/reports/progress/hekou/2024?lang=en").get_data(as_text=True))
    pairings = page.split("One-to-one pairings</dt><dd>", 1)[1].split("<", 1)[0]
    assert pairings == "1" and "Visits up to date today" not in page
    # 2024's 52 whole weeks (to Sunday 29 December) and 12 months; one week and one month had a visit.
    assert page.split("Weeks with a contact</dt><dd>", 1)[1].split("<", 1)[0] == "1 / 52 (2%)"
    assert page.split("Months with a home visit</dt><dd>", 1)[1].split("<", 1)[0] == "1 / 12 (8%)"
    current = admin.client.get(f"/reports/progress/hekou/{today().year}?lang=en").get_data(as_text=True)
    assert "Visits up to date today" in current


def test_the_report_says_it_is_due_before_1_november_in_both_languages(app, make):
    """R8 is "before 1 November": the page never calls 1 November itself the deadline."""
    supervisor = login(app, make.user(Role.TOWN_SUPERVISOR, town="hekou"))
    year = today().year
    english = supervisor.client.get(f"/reports/progress/hekou/{year}?lang=en").get_data(as_text=True)
    assert f"Not submitted yet. Due before 1 November {year}." in english and "Deadline" not in english
    chinese = supervisor.client.get(f"/reports/progress/hekou/{year}?lang=zh").get_data(as_text=True)
    assert f"尚未提交。须于 {year} 年 11 月 1 日前报送。" in chinese
    admin = login(app, make.admin())
    overview = admin.client.get(f"/reports/progress?year={year}&lang=en").get_data(as_text=True)
    assert f"due before 1 November {year}" in overview
    overview = admin.client.get(f"/reports/progress?year={year}&lang=zh").get_data(as_text=True)
    assert f"须于 {year} 年 11 月 1 日前报送" in overview


def test_the_services_hold_the_lock_and_the_rules_of_a_report(app, make):
    """Save, submit and return refuse with a rule's code, whichever page or command calls them."""
    import pytest

    from app.auth.models import User
    from app.directory.models import Town
    from app.reports.progress import ReportError, report_for, return_report, save_report, submit_report

    supervisor_id = make.user(Role.TOWN_SUPERVISOR, town="hekou").id
    stranger_id = make.user(Role.TOWN_SUPERVISOR, town="fengzhou").id
    admin_id = make.admin().id
    sections = {"achievements": "成效", "difficulties": "困难", "next_measures": "措施"}

    def refused(call) -> tuple[str, str | None]:
        with pytest.raises(ReportError) as error:
            call()
        return error.value.code, error.value.field

    with app.test_request_context():
        supervisor, stranger, admin = (db.session.get(User, i) for i in (supervisor_id, stranger_id, admin_id))
        report = report_for(db.session.scalar(select(Town).where(Town.code == "hekou")), 2025)
        assert refused(lambda: save_report(report, by=stranger, **sections)) == ("not_your_town", None)
        assert refused(lambda: submit_report(report, by=supervisor, **{**sections, "difficulties": " "})) == (
            "incomplete",
            "difficulties",
        )
        assert refused(lambda: return_report(report, by=admin, reason="请补充")) == ("not_submitted", None)
        submit_report(report, by=supervisor, **sections)
        assert report.submitted_at is not None and report.submitted_by_id == supervisor_id
        assert refused(lambda: save_report(report, by=supervisor, **sections)) == ("locked", None)
        assert refused(lambda: submit_report(report, by=admin, **sections)) == ("locked", None)
        assert refused(lambda: return_report(report, by=supervisor, reason="x")) == ("not_the_bureau", None)
        assert refused(lambda: return_report(report, by=admin, reason="  ")) == ("no_reason", "reason")
        return_report(report, by=admin, reason="请补充")
        assert report.submitted_at is None and report.return_reason == "请补充"
        save_report(report, by=supervisor, **{**sections, "achievements": "改写"})
        assert report.achievements == "改写" and report.first_submitted_at is not None
        db.session.rollback()


def test_a_deleted_accounts_name_reads_in_the_readers_language(app, make):
    """The "By" of a report whose submitter's account was later anonymised: no stored name, the reader's words."""
    from app.auth.models import User

    submitter = make.user(Role.TOWN_SUPERVISOR, town="hekou", name="督导员丙")
    add_report(app, "hekou", 2025, datetime(2025, 10, 3, tzinfo=UTC), submitter.id)
    with app.app_context():
        gone = db.session.get(User, submitter.id)
        gone.name, gone.anonymised_at = "", datetime(2025, 12, 1, tzinfo=UTC)
        db.session.commit()
    admin = login(app, make.admin())
    english = admin.client.get("/reports/progress.csv?year=2025&lang=en").get_data(as_text=True)
    assert "Hekou Town,Submitted,2025-10-03 08:00,Former volunteer," in english
    chinese = admin.client.get("/reports/progress?year=2025&lang=zh").get_data(as_text=True)
    assert "已注销志愿者" in chinese and "督导员丙" not in chinese
