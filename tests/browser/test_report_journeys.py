"""Reports in a real browser: the bureau's department report and a town's progress report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser


def log_in(phone, identifier: str, password: str = "shouhu-demo") -> None:
    phone.goto("/login")
    phone.page.fill("#identifier", identifier)
    phone.page.fill("#password", password)
    phone.submit()


def test_admin_reads_the_summer_report_follows_a_number_and_downloads_it(phone):
    log_in(phone, "admin")
    phone.goto("/reports/departments")
    page = phone.page
    page.select_option("select[name='period']", "summer")
    page.fill("input[name='year']", "2025")
    phone.submit("form.filters")
    assert "2025 年暑假" in page.locator("main").inner_text()
    row = page.locator("table.report tr", has_text="凤县教体局")
    assert row.locator("td").nth(1).inner_text() == "1"
    with page.expect_navigation():
        row.locator("td").nth(1).get_by_role("link").tap()
    phone.snap()
    assert "（演示）2025年县教体局" in page.locator("main").inner_text()
    page.go_back()
    with page.expect_download() as download:
        page.get_by_text("下载 Excel").tap()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    figures = {r[0].value: r[1].value for r in sheet.iter_rows(min_row=4)}
    assert figures["凤县教体局"] == 1 and figures["凤县民政局"] == 1


def test_town_supervisor_writes_and_submits_the_progress_report(phone):
    log_in(phone, "supervisor-shuangshipu")
    phone.goto("/reports/progress/mine")
    page = phone.page
    assert "工作进展情况报告" in page.locator("h1").inner_text()
    page.fill("#achievements", "浏览器测试：全镇儿童档案建档率 100%")
    page.fill("#difficulties", "浏览器测试：儿童主任流动性大")
    page.fill("#next_measures", "浏览器测试：加强培训")
    with page.expect_navigation():
        page.locator("button[name='submit']").tap()
    phone.snap()
    assert "报告已报送县民政局" in page.locator(".flash-success").inner_text()
    assert "已于" in page.locator("main").inner_text()
    # Submitted: the sections read as text, the form is gone, and the A4 print keeps every word.
    assert page.locator("textarea").count() == 0
    assert "儿童主任流动性大" in page.locator(".written-text").nth(1).inner_text()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden() and page.locator(".written-text").first.is_visible()
