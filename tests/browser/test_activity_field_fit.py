"""Issue 13 at 360×740: an activity with a 120-character unbroken title keeps every page of the journey within the
screen; the form lists every error at the top; a shift eight days away has a check-in screen that says when it
opens and shows no code."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.timeutils import SHANGHAI
from tests.browser.test_activity_journeys import log_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 740}
TITLE = "Wm" * 60  # 120 characters, no space: the widest Latin letters


def _fits(phone, what: str) -> None:
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{what} is {width} px wide on a 360 px screen"


def test_long_title_fits_a_small_phone_and_check_in_waits_for_its_window(phone_factory):
    coordinator = phone_factory("coordinator")
    page = coordinator.page
    page.set_viewport_size(SMALL_PHONE)
    log_in(coordinator, "social-work-shuangshipu")
    coordinator.goto("/manage/activities/new")
    _fits(coordinator, "the empty form")

    # Everything wrong at once: no title and a shift in the past, listed at the top with links to the fields.
    page.fill("#shifts-0-day", "2020-03-01")
    page.fill("#shifts-0-start", "09:00")
    page.fill("#shifts-0-end", "12:00")
    page.fill("#shifts-0-capacity", "5")
    page.fill("#map_url", "http://example.com/map")
    coordinator.submit()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.bounding_box()["y"] < 740
    links = summary.locator("a")
    assert {links.nth(i).get_attribute("href") for i in range(links.count())} == {
        "#title",
        "#map_url",
        "#shifts-0-day",
    }
    _fits(coordinator, "the form with errors")

    day = (datetime.now(SHANGHAI) + timedelta(days=8)).date()
    assert page.locator("#title").get_attribute("maxlength") == "120"
    page.fill("#title", TITLE)
    page.fill("#venue", "凤凰村村委会")
    page.fill("#map_url", "https://uri.amap.com/marker?position=106.52,33.91")
    page.fill("#what_to_bring", "水杯")
    page.fill("#contact_name", "王老师")
    page.fill("#contact_phone", "13900001111")
    page.fill("#shifts-0-day", day.isoformat())
    coordinator.submit()
    assert "/manage/activities/" in page.url and "/new" not in page.url
    _fits(coordinator, "the management page of a draft")
    with page.expect_navigation():
        page.locator("form[action$='/publish'] button").tap()
    coordinator.snap()
    _fits(coordinator, "the management page")
    manage_url = page.url
    poster_url = page.locator("a[href$='/poster']").get_attribute("href")
    checkin_url = page.locator("a[href*='/checkin']").first.get_attribute("href")
    public_url = poster_url.removesuffix("/poster")

    for path, what in (
        (public_url, "the activity page"),
        (poster_url, "the poster"),
        ("/activities", "the public list"),
        ("/manage/activities", "the coordinator's list"),
        (manage_url.split("127.0.0.1", 1)[-1].split("/", 1)[-1], "the management page again"),
        (manage_url + "/edit", "the edit form"),
    ):
        coordinator.goto(path if path.startswith(("http", "/")) else "/" + path)
        _fits(coordinator, what)
    assert TITLE in page.content()

    coordinator.goto(checkin_url)
    _fits(coordinator, "the check-in screen")
    assert page.locator("img.checkin-qr").count() == 0
    state = page.locator("#checkin-state").inner_text()
    assert "08:00" in state and f"{day.month}月{day.day}日" in state, state

    # The public page as a visitor: directions, what to bring, and no phone until signed up.
    visitor = phone_factory("visitor")
    visitor.page.set_viewport_size(SMALL_PHONE)
    visitor.goto(public_url)
    _fits(visitor, "the activity page for a visitor")
    assert visitor.page.locator("a.directions").count() == 1
    assert visitor.page.locator("a[href^='tel:']").count() == 0
