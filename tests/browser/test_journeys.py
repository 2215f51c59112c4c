"""Whole journeys people take, on a phone-size screen in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_volunteer_registers_and_logs_in_on_a_phone(phone):
    phone.goto("/")
    assert phone.fits_the_screen()
    phone.page.locator("header a[href='/register']").tap()
    phone.page.wait_for_url("**/register")
    phone.snap()
    assert phone.fits_the_screen()
    phone.page.fill("#name", "李小梅")
    phone.page.fill("#phone", "139 0000 1111")
    phone.page.fill("#password", "meimei-2026")
    phone.page.fill("#confirm", "meimei-2026")
    phone.page.check("#consent")
    phone.submit()
    assert phone.page.url.endswith("/")
    assert "李小梅" in phone.page.locator(".flash-success").inner_text()

    with phone.page.expect_navigation():
        phone.page.locator("header form button[type=submit]").tap()  # log out (a POST form)
    phone.snap()
    phone.goto("/login")
    phone.page.fill("#identifier", "13900001111")
    phone.page.fill("#password", "meimei-2026")
    phone.submit()
    assert "李小梅" in phone.page.locator("header .who").inner_text()
    assert phone.fits_the_screen()


def test_registration_mistakes_are_explained_on_the_phone(phone):
    phone.goto("/register")
    phone.page.fill("#name", "张三")
    phone.page.fill("#phone", "12345")
    phone.page.fill("#password", "abc")
    phone.page.fill("#confirm", "abc")
    phone.submit()
    errors = phone.page.locator(".error").all_inner_texts()
    assert any("手机号" in e for e in errors)
    assert phone.page.input_value("#name") == "张三"  # kept


def test_admin_creates_a_coordinator_account(phone_factory):
    desk = phone_factory("admin")
    desk.goto("/login")
    desk.page.fill("#identifier", "admin")
    desk.page.fill("#password", "shouhu-demo")
    desk.submit()
    desk.goto("/admin/accounts/new")
    desk.page.fill("#name", "妇联联络员二")
    desk.page.fill("#username", "wf-second")
    desk.page.select_option("#role", "coordinator")
    desk.page.select_option("#organization_id", label="凤县妇女联合会")
    desk.page.fill("#password", "wf-first-2026")
    desk.submit()
    assert desk.page.url.endswith("/admin/accounts/")
    assert "妇联联络员二" in desk.page.locator("main").inner_text()

    newcomer = phone_factory("coordinator")
    newcomer.goto("/login")
    newcomer.page.fill("#identifier", "wf-second")
    newcomer.page.fill("#password", "wf-first-2026")
    newcomer.submit()
    assert newcomer.page.url.endswith("/account/password")  # must choose their own password first
    newcomer.page.fill("#current_password", "wf-first-2026")
    newcomer.page.fill("#new_password", "my-own-pass-9")
    newcomer.page.fill("#confirm", "my-own-pass-9")
    newcomer.submit()
    newcomer.goto("/")
    assert "凤县妇女联合会" in newcomer.page.locator("main").inner_text()


def test_language_switch_turns_the_page_english(phone):
    phone.goto("/login")
    with phone.page.expect_navigation():
        phone.page.locator("nav.lang a").tap()
    phone.snap()
    assert phone.page.locator("html").get_attribute("lang") == "en"
    assert phone.page.locator("main h1").inner_text() == "Log in"
