"""Browser fixtures: the real app served on a free localhost port (werkzeug, threaded) against the test database,
driven by Playwright through Debian's chromium. Skipped, with the reason, when /usr/bin/chromium is missing
(`make chromium` installs it)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD
from web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(jd):
    """The app on 127.0.0.1:<free port>, in a background thread, for the duration of one test."""
    app = create_app(jiandu=jd, testing=True, secure_cookies=False)
    app.extensions["login_limiter"].reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="jiandu-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Person:
    """One signed-in person: their own browser context (cookies), one page."""

    def __init__(self, browser, base_url: str, username: str):
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="UTC",
                                           viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Script errors count; the browser's own "failed to load resource" lines for answers such as 422 do not.
        self.page.on("console", lambda msg: self.errors.append(msg.text)
                     if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
        self.username = username
        self.sign_in()

    def sign_in(self) -> None:
        page = self.page
        page.goto("/login")
        page.fill('input[name="username"]', self.username)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sign_in(browser, live_server):
    people: list[Person] = []

    def _sign_in(username: str) -> Person:
        person = Person(browser, live_server, username)
        people.append(person)
        return person
    yield _sign_in
    for person in people:
        person.close()
