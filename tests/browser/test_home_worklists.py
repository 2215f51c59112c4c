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
