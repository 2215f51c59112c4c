"""Browser tests: the real app served over HTTP on a free local port, driven by headless Chromium at phone size.

Chromium is Debian's (/usr/bin/chromium) through Playwright for Python. Without it the tests skip on a
developer's machine, but fail in CI (CI=true or SHOUHU_REQUIRE_BROWSER=1): there they must run.
A screenshot of every page visited is kept under test-output/screenshots/<test>/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.cli import seed_demo_data
from app.extensions import db
from tests.conftest import make_test_config, mark_database_used

CHROMIUM = os.environ.get("SHOUHU_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("SHOUHU_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output"))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _browser_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get("SHOUHU_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with demo data on its own SQLite file, served by werkzeug in a background thread."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    with socket.socket() as probe:  # a free port, known before the app is built: QR codes carry the address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(make_test_config(f"sqlite:///{path}", PUBLIC_BASE_URL=base_url))
    with app.app_context():
        upgrade()
        seed_demo_data()
        db.session.commit()
    mark_database_used("sqlite")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    shutil.rmtree(OUTPUT / "screenshots", ignore_errors=True)  # only this run's pages
    if not Path(CHROMIUM).exists():
        if _browser_required():
            pytest.fail(f"{CHROMIUM} is missing: browser tests must run in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Phone:
    """One person's phone: a fresh browser context at 390×844 that screenshots every page it lands on."""

    def __init__(self, browser, base_url: str, shots: Path) -> None:
        self.context = browser.new_context(base_url=base_url, locale="zh-CN", **PHONE)
        self.page = self.context.new_page()
        self.shots = shots
        self.count = 0

    def snap(self) -> None:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", self.page.url.split("//", 1)[-1].split("/", 1)[-1].lower()).strip("-")
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{self.count:02d}-{slug or 'home'}.png"), full_page=True)

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.snap()

    def submit(self, form: str = "main form") -> None:
        """Tap the form's submit button and wait for the next page, as a thumb would."""
        with self.page.expect_navigation():
            self.page.locator(f"{form} button[type=submit]").last.tap()
        self.snap()

    def fits_the_screen(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def phone_factory(chromium, live_server, request):
    phones: list[Phone] = []
    name = re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name)

    def open_phone(label: str = "phone") -> Phone:
        phone = Phone(chromium, live_server, OUTPUT / "screenshots" / name / label)
        phones.append(phone)
        return phone

    yield open_phone
    for phone in phones:
        phone.close()


@pytest.fixture
def phone(phone_factory) -> Phone:
    return phone_factory()


def decode_qr(png_bytes: bytes) -> str:
    """The text of the one QR code in a PNG (a screenshot of the code's element), read by zxing-cpp."""
    import png
    import zxingcpp

    width, height, rows, _info = png.Reader(bytes=png_bytes).asRGBA8()
    grey = bytearray()
    for row in rows:
        grey.extend((row[i] * 299 + row[i + 1] * 587 + row[i + 2] * 114) // 1000 for i in range(0, len(row), 4))
    results = zxingcpp.read_barcodes(memoryview(bytes(grey)).cast("B", shape=[height, width]))
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    return results[0].text
