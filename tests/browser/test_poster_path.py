"""A new volunteer from the poster to signed up, on a 360×740 and a 390×844 phone: two screens (the activity, then
name + number + SMS code), three taps, no password, no page wider than the screen, in Chinese and in English."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import OUTPUT
from tests.codes import last_code

pytestmark = pytest.mark.browser

CASES = [((360, 740), "zh-CN", "13522220001"), ((390, 844), "en", "13522220002")]


@pytest.mark.parametrize(("size", "language", "number"), CASES)
def test_a_new_volunteer_signs_up_from_the_poster_in_two_screens_and_three_taps(
    chromium, live_server, size, language, number
):
    width, height = size
    context = chromium.new_context(
        base_url=live_server,
        locale=language,
        viewport={"width": width, "height": height},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    shots = OUTPUT / "screenshots" / f"poster-path-{width}x{height}"
    shots.mkdir(parents=True, exist_ok=True)
    screens: list[str] = []
    taps = 0

    def landed() -> None:
        path = urlsplit(page.url).path
        if not screens or screens[-1] != path:
            screens.append(path)
        page.screenshot(path=str(shots / f"{len(screens):02d}-{taps}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{path} scrolls sideways"

    def tap(locator) -> None:
        nonlocal taps
        with page.expect_navigation():
            locator.tap()
        taps += 1
        landed()

    try:
        listing = page.request.get(f"/activities?lang={'en' if language == 'en' else 'zh'}").text()
        code = next(
            c for c in re.findall(r'href="/a/([\w-]+)"', listing) if "join?shift=" in page.request.get(f"/a/{c}").text()
        )
        page.goto(f"/a/{code}?lang={'en' if language == 'en' else 'zh'}")  # the QR code's address
        landed()
        tap(page.locator("a[href*='/join?shift=']").first)  # screen two: choose nothing more, type
        page.fill("#join-name", "扫码志愿者")
        page.fill("#join-phone", number)
        page.check("#join-consent")
        tap(page.locator("#join form button[name=action][value=send]"))  # get the code: the same screen
        assert 'type="password"' not in page.content()
        page.fill("#join-code", last_code(number))
        tap(page.locator("#join form button[type=submit]").first)  # sign up
        assert urlsplit(page.url).path == "/me/activities"
        before_signed_up = screens[:-1]
        assert len(before_signed_up) == 2 and before_signed_up[1].endswith("/join"), screens
        assert taps == 3
        flash = page.locator(".flash-success").inner_text()
        assert ("报名" in flash) if language == "zh-CN" else ("signed up" in flash.lower() or "waitlist" in flash)
    finally:
        context.close()
