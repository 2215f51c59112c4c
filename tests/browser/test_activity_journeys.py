"""The activity journey end to end at phone size: publish, poster QR, sign-up, calendar, check-in, waitlist."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.timeutils import SHANGHAI
from tests.browser.conftest import decode_qr
from tests.codes import last_code

pytestmark = pytest.mark.browser


def first_shift_times() -> tuple[datetime, datetime]:
    """A shift starting in a few minutes (check-in is open) that ends on the same Beijing date."""
    start = (datetime.now(SHANGHAI) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=60)
    if end.date() != start.date():
        end = start.replace(hour=23, minute=59)
        if end - start < timedelta(minutes=10):
            start = (start + timedelta(days=1)).replace(hour=0, minute=1)
            end = start + timedelta(minutes=60)
    return start, end


def log_in(phone, identifier: str, password: str = "shouhu-demo") -> None:
    phone.goto("/login")
    phone.page.fill("#identifier", identifier)
    phone.page.fill("#password", password)
    phone.submit()


def test_publish_scan_sign_up_calendar_check_in_and_waitlist(phone_factory):
    coordinator = phone_factory("coordinator")
    log_in(coordinator, "social-work-shuangshipu")
    coordinator.goto("/manage/activities/new")
    page = coordinator.page
    start, end = first_shift_times()
    later = (start + timedelta(days=1)).date().isoformat()
    page.fill("#title", "浏览器测试：周末陪伴")
    page.select_option("#kind", "reading")
    page.fill("#venue", "凤凰村村委会")
    page.fill("#shifts-0-day", start.date().isoformat())
    page.fill("#shifts-0-start", start.strftime("%H:%M"))
    page.fill("#shifts-0-end", end.strftime("%H:%M"))
    page.fill("#shifts-0-capacity", "5")
    page.fill("#shifts-1-day", later)
    page.fill("#shifts-1-start", "10:00")
    page.fill("#shifts-1-end", "11:00")
    page.fill("#shifts-1-capacity", "1")
    coordinator.submit()
    assert "/manage/activities/" in page.url
    with page.expect_navigation():
        page.locator("form[action$='/publish'] button").tap()
    coordinator.snap()
    manage_url = page.url
    with page.expect_navigation():
        page.get_by_text("二维码海报").tap()
    coordinator.snap()
    sign_up_url = decode_qr(page.locator("img.qr").screenshot())
    assert sign_up_url.startswith("http://127.0.0.1:") and "/a/" in sign_up_url

    # A new volunteer scans the poster: screen one, tap the shift; screen two, register and sign up.
    volunteer = phone_factory("new-volunteer")
    volunteer.goto(sign_up_url)
    assert volunteer.fits_the_screen()
    v = volunteer.page
    with v.expect_navigation():
        v.locator("li.shift").first.get_by_role("link").tap()
    volunteer.snap()
    assert v.locator("input[name='join-shift_id']").first.is_checked()
    v.fill("#join-name", "扫码志愿者")
    v.fill("#join-phone", "13566667777")
    v.check("#join-consent")
    with v.expect_navigation():
        v.get_by_role("button", name="获取验证码").tap()
    volunteer.snap()
    assert v.input_value("#join-name") == "扫码志愿者" and v.input_value("#join-phone") == "13566667777"
    v.fill("#join-code", last_code("13566667777"))  # as the development outbox prints it
    with v.expect_navigation():
        v.locator("#join form button[type=submit]").first.tap()  # 报名 (the other button asks for a new code)
    volunteer.snap()
    assert "/me/activities" in v.url
    assert "报名成功" in v.locator(".flash-success").inner_text()

    # Add it to the calendar: the .ics holds the one shift signed up for, not the whole activity.
    volunteer.goto(sign_up_url)
    with v.expect_download() as download:
        v.get_by_text("把这个班次加入我的日历").tap()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") == 1 and "TZID=Asia/Shanghai" in ics

    # At the venue: the coordinator's check-in screen, scanned by the volunteer, one tap.
    coordinator.goto(manage_url)
    with page.expect_navigation():
        page.locator("a[href*='/checkin']").first.tap()
    coordinator.snap()
    check_in_url = decode_qr(page.locator("img.checkin-qr").screenshot())
    volunteer.goto(check_in_url)
    with v.expect_navigation():
        v.get_by_role("button", name="签到").tap()
    volunteer.snap()
    assert "签到成功" in v.locator(".flash-success").inner_text()
    coordinator.page.reload()
    coordinator.snap()
    assert "扫码志愿者" in page.locator("main").inner_text()

    # The second shift has one place: the new volunteer takes it, a second volunteer waits, then moves up.
    volunteer.goto(sign_up_url)
    with v.expect_navigation():
        v.locator("li.shift").nth(1).get_by_role("button").tap()
    volunteer.snap()
    second = phone_factory("second-volunteer")
    log_in(second, "volunteer-3")
    second.goto(sign_up_url)
    with second.page.expect_navigation():
        second.page.locator("li.shift").nth(1).get_by_role("button").tap()
    second.snap()
    assert "候补第 1 位" in second.page.locator("main").inner_text()
    volunteer.goto("/me/activities")
    with v.expect_navigation():
        v.locator("a[data-asks][href$='/cancel']").last.tap()  # the later shift is listed last
    volunteer.snap()
    assert "确定取消报名？" in v.locator("h1").inner_text()  # the first tap asks; the second cancels
    with v.expect_navigation():
        v.locator("[data-confirm] form button[type=submit]").tap()
    volunteer.snap()
    second.goto("/me/activities")
    assert "已由候补转为确认" in second.page.locator("main").inner_text()
