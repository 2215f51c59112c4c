"""Nothing irreversible by accident, on a 360×740 phone: on the pages of the volunteer's, the coordinator's and the
child director's journeys, no form posts straight to a destructive action, and every destructive button's first tap
shows the question (what will be lost, with a way back) while the page it came from is unchanged."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, Phone
from tests.browser.test_children_journeys import log_in

pytestmark = pytest.mark.browser

# Forms posting here would destroy at one tap; on a journey page they must be links to the question instead. (The
# calendar address is absent: its first creation posts at once, as nothing is lost; changing it is a [data-asks].)
DESTRUCTIVE = re.compile(r"/(cancel|close|discard|withdraw|delete)(\?|$)|remove=|end=1")


class SmallPhone(Phone):
    """A 360×740 phone, the smallest the issue names."""

    def __init__(self, browser, base_url: str, shots) -> None:
        self.context = browser.new_context(
            base_url=base_url, locale="zh-CN", **{**PHONE, "viewport": {"width": 360, "height": 740}}
        )
        self.page = self.context.new_page()
        self.shots = shots
        self.count = 0


@pytest.fixture
def small_phone(chromium, live_server, request):
    from tests.browser.conftest import OUTPUT

    phones: list[SmallPhone] = []

    def open_phone(label: str) -> SmallPhone:
        name = re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name)
        phones.append(SmallPhone(chromium, live_server, OUTPUT / "screenshots" / name / label))
        return phones[-1]

    yield open_phone
    for phone in phones:
        phone.close()


def _hrefs(phone: Phone, pattern: str) -> list[str]:
    links = phone.page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [href for href in links if re.search(pattern, href)]


def asks_first(phone: Phone, path: str) -> int:
    """Every destructive control of the page at ``path`` asks first; returns how many there are."""
    page = phone.page
    phone.goto(path)
    posts = page.eval_on_selector_all("main form[method=post]", "forms => forms.map(f => f.getAttribute('action'))")
    assert [action for action in posts if action and DESTRUCTIVE.search(action)] == [], path
    before = page.locator("main").inner_text()
    count = page.locator("main [data-asks]").count()
    for i in range(count):
        if i:
            phone.goto(path)
        with page.expect_navigation():
            page.locator("main [data-asks]").nth(i).tap()
        phone.snap()
        question = page.locator("[data-confirm]")
        assert question.count() == 1, f"{path}: control {i} did not ask ({page.url})"
        assert question.locator("h1").inner_text().endswith("？"), page.url
        assert question.locator("a.button").count() == 1  # the way back
        assert phone.fits_the_screen(), page.url
        for select in question.locator("select").all():  # no destructive choice preselected
            assert select.input_value() == "", page.url
    if count:
        phone.goto(path)
        assert page.locator("main").inner_text() == before, f"{path} changed"
    return count


def test_the_volunteers_destructive_buttons_ask_first(small_phone):
    phone = small_phone("volunteer")
    log_in(phone, "volunteer")
    assert asks_first(phone, "/me/activities") >= 1  # the demo volunteer waits for a place at 安全知识进村


def test_the_coordinators_destructive_buttons_ask_first(small_phone):
    phone = small_phone("coordinator")
    log_in(phone, "youth-league")
    phone.goto("/manage/activities")
    activities = _hrefs(phone, r"^/manage/activities/\d+$")
    assert activities
    asked = 0
    for path in activities[:3]:
        asked += asks_first(phone, path)
        for screen in _hrefs(phone, r"^/manage/shifts/\d+/checkin$")[:1]:
            asked += asks_first(phone, screen)
    assert asked >= 1


def test_the_directors_destructive_buttons_ask_first(small_phone):
    phone = small_phone("director")
    log_in(phone, "director-shuangshipu")
    phone.goto("/children/")
    files = _hrefs(phone, r"^/children/\d+$")
    assert files
    assert asks_first(phone, files[0]) == 1  # closing the file
    child_id = files[0].rsplit("/", 1)[-1]
    asks_first(phone, f"/mentoring/propose/{child_id}")
