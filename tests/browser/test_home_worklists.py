"""Home pages as worklists on a small phone (360×740): what needs the person comes first, on the first screen, in
rows a thumb can tap; the menu below."""

from __future__ import annotations

import pytest

from tests.browser.test_children_journeys import log_in

pytestmark = pytest.mark.browser
SMALL = {"width": 360, "height": 740}


def test_directors_first_overdue_visit_is_on_the_first_screen_and_one_tap_away(phone):
    phone.page.set_viewport_size(SMALL)
    log_in(phone, "director-shuangshipu")
    page = phone.page
    first = page.locator("#visits-overdue + ul.work a.work-item").first
    box = first.bounding_box()
    assert box["y"] + 20 < SMALL["height"] and box["height"] >= 44
    assert page.locator("#problems-raised").bounding_box()["y"] < box["y"] < page.locator("#menu").bounding_box()["y"]
    assert phone.fits_the_screen()
    for link in page.locator("main a.work-item, #menu .actions a").all():
        assert link.bounding_box()["height"] >= 44
    name = first.locator("strong").inner_text()
    with page.expect_navigation():
        first.tap()
    phone.snap()
    assert name in page.locator("main").inner_text() and page.url.endswith("/add/visit")


@pytest.mark.parametrize("who", ["social-work-shuangshipu", "supervisor-shuangshipu", "admin"])
def test_every_staff_home_starts_with_its_worklist_and_fits_the_screen(phone, who):
    phone.page.set_viewport_size(SMALL)
    log_in(phone, who)
    page = phone.page
    first = page.locator("main section.worklist").first
    assert first.bounding_box()["y"] < SMALL["height"] / 2
    assert phone.fits_the_screen()
    if who == "admin":
        failed = page.locator("#county-due a[href$='/admin/messages?status=failed']")
        assert failed.bounding_box()["height"] >= 44


def test_department_report_scrolls_inside_its_card_with_the_first_column_fixed_and_prints_every_column(phone):
    phone.page.set_viewport_size(SMALL)
    log_in(phone, "admin")
    phone.goto("/reports/departments?period=year&year=2025")
    page = phone.page
    assert phone.fits_the_screen()
    wrap = page.locator(".report-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls, not the page
    first = page.locator("table.report tbody tr").first.locator("td").first
    left = first.bounding_box()["x"]
    wrap.evaluate("el => { el.scrollLeft = 400; }")
    assert abs(first.bounding_box()["x"] - left) < 1  # the names stay in view
    assert page.locator("table.report tfoot tr.total td").first.inner_text() == "合计"
    assert page.locator("table.report th abbr").first.inner_text() == "1 德育"
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # every column on the page
    page.emulate_media(media="screen")


def test_summary_chart_labels_fit_inside_the_chart(phone):
    phone.page.set_viewport_size(SMALL)
    log_in(phone, "admin")
    phone.goto("/reports/summary")
    page = phone.page
    assert phone.fits_the_screen()
    for svg in page.locator("figure.chart svg").all():
        left = svg.bounding_box()["x"]
        for text in svg.locator("text[text-anchor=end]").all():
            assert text.bounding_box()["x"] >= left - 0.5
