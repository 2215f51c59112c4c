"""At 360×740 and 390×844: every primary button and action link is at least 44 CSS px tall, body text is at least
16 px, and dates read in the site's one style in Chinese and in English."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import OUTPUT

pytestmark = pytest.mark.browser

SIZES = [(360, 740), (390, 844)]
# What a thumb taps: buttons, links styled as buttons or actions, the menu, the language switch, a list row's title.
PRIMARY = (
    "main button, main .button, main .button-link, main a.action, .menu a, .menu button, .lang a, "
    "main .rows .row > a:first-child, main summary"
)
MEASURE = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map((e) => { const r = e.getBoundingClientRect();
                return {text: (e.innerText || e.value || '').trim().slice(0, 40),
                        height: r.height, width: r.width}; })"""

ZH_WHEN = re.compile(r"(\d{4}年)?\d{1,2}月\d{1,2}日（周.）\d\d:\d\d|[今明]天（周.）\d\d:\d\d")
EN_WHEN = re.compile(
    r"((Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)( \d{4})?"
    r"|Today|Tomorrow), \d\d:\d\d"
)
OLD_STYLES = re.compile(r"\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{2}-\d{2}|\b[AP]M\b")


class Screen:
    def __init__(self, browser, base_url: str, size: tuple[int, int], label: str) -> None:
        width, height = size
        self.context = browser.new_context(
            base_url=base_url,
            locale="zh-CN",
            viewport={"width": width, "height": height},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        self.page = self.context.new_page()
        self.shots = OUTPUT / "screenshots" / f"tap-targets-{width}x{height}" / label
        self.count = 0

    def open(self, path: str) -> None:
        self.page.goto(path)
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{self.count:02d}.png"), full_page=True)

    def log_in(self, username: str) -> None:
        self.open("/login")
        self.page.fill("#identifier", username)
        self.page.fill("#password", "shouhu-demo")
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").last.tap()

    def too_small(self) -> list[dict]:
        return [t for t in self.page.evaluate(MEASURE, PRIMARY) if t["height"] < 43.5 or t["width"] < 43.5]

    def body_font_size(self) -> float:
        return self.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


@pytest.fixture
def screens(chromium, live_server):
    opened: list[Screen] = []

    def open_screen(size, label):
        screen = Screen(chromium, live_server, size, label)
        opened.append(screen)
        return screen

    yield open_screen
    for screen in opened:
        screen.context.close()


def demo_activity(screen: Screen) -> str:
    screen.open("/activities")
    return screen.page.locator("main .rows .row > a").first.get_attribute("href")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_primary_actions_are_44_px_tall_and_body_text_16_px(screens, size):
    visitor = screens(size, "visitor")
    activity = demo_activity(visitor)
    pages = {
        "visitor": ["/", "/activities", activity, f"{activity}/join", "/login"],
        "volunteer": ["/", "/me/activities", activity],
        "coordinator": ["/", "/manage/activities"],
        "director-shuangshipu": ["/"],
    }
    problems = []
    for who, paths in pages.items():
        screen = visitor if who == "visitor" else screens(size, who)
        if who == "coordinator":
            screen.log_in("social-work-shuangshipu")
        elif who != "visitor":
            screen.log_in(who)
        for path in paths:
            screen.open(path)
            assert screen.body_font_size() >= 16, (who, path)
            problems += [(who, path, t["text"], round(t["width"]), round(t["height"])) for t in screen.too_small()]
    assert problems == [], "\n".join(map(str, sorted(set(problems), key=str)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dates_read_in_one_style_in_both_languages(screens, size):
    screen = screens(size, "dates")
    activity = demo_activity(screen)
    for language, pattern in (("zh", ZH_WHEN), ("en", EN_WHEN)):
        for path in ("/activities", activity):
            screen.open(f"{path}?lang={language}")
            text = screen.page.locator("main").inner_text()
            assert pattern.search(text), (language, path, text[:400])
            assert not OLD_STYLES.search(text), (language, path, OLD_STYLES.search(text).group())
        # a shift's range shows its date once: "…09:00–12:00", never the date again after the dash
        screen.open(f"{activity}?lang={language}")
        shifts = screen.page.locator("li.shift strong").all_inner_texts()
        assert shifts and all(re.search(r"\d\d:\d\d–\d\d:\d\d$", s) for s in shifts), shifts
