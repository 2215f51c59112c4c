"""In Chromium, the pages keep the Content-Security-Policy: no page, chart or print button makes the browser report
a Content Security Policy violation, and the print buttons (no inline script) still print."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/activities",
    "/children/",
    "/reports/summary",
    "/reports/departments",
    "/reports/compliance",
    "/reports/visits",
    "/reports/safety-coverage",
    "/reports/progress",
    "/manage/activities",
    "/audit/",
]


def watch_csp(page) -> list[str]:
    """The console's Content Security Policy messages (Chromium reports every violation there)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


INLINE = re.compile(r"""\son[a-z]+\s*=|\sstyle\s*=|<style|<script(?![^>]*\ssrc=)""", re.IGNORECASE)


def inline_code(response) -> list[str]:
    """Inline handlers, style attributes and inline scripts or styles in the HTML the server sent: the policy
    would block them when the browser uses them."""
    return INLINE.findall(response.text())


def test_pages_of_the_bureau_show_no_csp_violation(phone):
    violations = watch_csp(phone.page)
    phone.goto("/login")
    phone.page.fill("#identifier", "admin")
    phone.page.fill("#password", "shouhu-demo")
    phone.submit()
    visited = 0
    for path in PAGES:
        response = phone.page.goto(path)
        if response is None or response.status >= 400:
            continue
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        phone.page.wait_for_load_state("load")
        phone.snap()
        assert inline_code(response) == [], path
        visited += 1
    assert visited >= 8
    assert violations == []


def test_a_poster_and_the_print_button_work_under_the_policy(phone):
    violations = watch_csp(phone.page)
    phone.page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    phone.goto("/activities")
    link = phone.page.locator("a[href^='/a/']").first
    href = link.get_attribute("href")
    code = href.split("/")[2]
    assert inline_code(phone.page.goto(f"/a/{code}/poster")) == []
    phone.goto("/login")
    phone.page.fill("#identifier", "supervisor-shuangshipu")
    phone.page.fill("#password", "shouhu-demo")
    phone.submit()
    response = phone.page.goto("/reports/progress/mine")
    phone.snap()
    assert inline_code(response) == []
    buttons = phone.page.locator("button[data-print]")
    for index in range(buttons.count()):
        if buttons.nth(index).is_visible():
            buttons.nth(index).click()
    assert phone.page.evaluate("window.__printed") >= 1
    assert violations == []
