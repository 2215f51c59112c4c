"""Children's files in a real browser at phone size: the director's visit round, attendance, and the 403 wall."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def log_in(phone, identifier: str, password: str = "shouhu-demo") -> None:
    phone.goto("/login")
    phone.page.fill("#identifier", identifier)
    phone.page.fill("#password", password)
    phone.submit()


def test_director_records_a_home_visit_with_a_problem_from_the_overdue_list(phone):
    log_in(phone, "director-shuangshipu")
    page = phone.page
    assert "待走访" in page.locator("#visits-due").inner_text()
    phone.goto("/children/visits-due")
    assert phone.fits_the_screen()
    first = page.locator("main li.row").first
    name = first.locator("strong").inner_text()
    with page.expect_navigation():
        first.get_by_role("link", name="记录走访").tap()
    phone.snap()
    page.select_option("#kind", "home")
    page.fill("#findings", "浏览器测试：奶奶腿脚不便")
    page.fill("#problem", "浏览器测试：冬季取暖不足")
    phone.submit()
    text = page.locator("main").inner_text()
    assert name in text and "浏览器测试：奶奶腿脚不便" in text and "浏览器测试：冬季取暖不足" in text
    assert "待处理" in text


def test_coordinator_marks_attendance_and_the_file_shows_it(phone_factory):
    coordinator = phone_factory("coordinator")
    log_in(coordinator, "social-work-shuangshipu")
    coordinator.goto("/manage/activities")
    page = coordinator.page
    with page.expect_navigation():
        page.get_by_text("周末阅读陪伴（已结束）").tap()
    coordinator.snap()
    with page.expect_navigation():
        page.get_by_text("儿童参加情况").tap()
    coordinator.snap()
    page.fill("input[name='q']", "演示")
    with page.expect_navigation():
        page.locator("form.filters button").tap()
    coordinator.snap()
    row = page.locator("main li.row", has_text="凤凰村").first  # one of the demo director's villages
    masked = row.inner_text().split(" · ")[0].strip()
    assert "*" in masked
    with page.expect_navigation():
        row.get_by_role("button", name="已参加").tap()
    coordinator.snap()
    assert "已保存" in page.locator(".flash-success").inner_text()

    director = phone_factory("director")
    log_in(director, "director-shuangshipu")
    director.goto("/children/")
    surname, last = masked[0], masked[-1]
    candidates = director.page.locator("main li.row strong").all_inner_texts()
    full = next(n for n in candidates if n.startswith(surname) and n.endswith(last))
    with director.page.expect_navigation():
        director.page.get_by_role("link", name=full, exact=True).tap()
    director.snap()
    assert "参加活动" in director.page.locator("main").inner_text()


def test_volunteer_trying_a_child_file_url_gets_the_403_page(phone):
    log_in(phone, "volunteer")
    response = phone.page.goto("/children/1")
    phone.snap()
    assert response.status == 403
    assert "无权访问" in phone.page.locator("main").inner_text()
