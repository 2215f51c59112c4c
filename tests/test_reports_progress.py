"""R8: a town supervisor writes and submits the town's progress report; the bureau sees who and when, and lateness."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from sqlalchemy import select

from app.auth.models import Role
from app.childcare.services import today
from app.extensions import db
from app.reports.models import ProgressReport
from tests.conftest import Auth


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
    with app.app_context():
        from app.directory.models import Town

        town = db.session.scalar(select(Town).where(Town.code == "hekou"))
        db.session.add(
            ProgressReport(
                town_id=town.id,
                year=2025,
                submitted_at=datetime(2025, 11, 3, tzinfo=UTC),
                submitted_by_id=admin_user.id,
            )
        )
        db.session.commit()
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
