"""A throwaway Jiandu for the maintenance scripts in this folder: a temporary SQLite database with the schema and
the demo organisation, the web app served on a free localhost port, and Playwright's chromium. Not used by tests."""
from __future__ import annotations

import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import logging

from werkzeug.serving import make_server

from service import demo, org, schema
from service.config import Settings
from service.context import Jiandu
from web import create_app

PASSWORD = "script-pass-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def scratch_service():
    with tempfile.TemporaryDirectory(prefix="jiandu-script-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'jiandu.db'}", instance_path=Path(tmp) / "instance")
        jd = Jiandu(settings)
        schema.upgrade(jd.db)
        with jd.db.write() as session:
            org.ensure_roles(session)
            demo.load(session, settings.instance_path, PASSWORD)
        try:
            yield jd
        finally:
            jd.close()


@contextmanager
def served(jd: Jiandu):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(jiandu=jd, testing=True, secure_cookies=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def signed_in_page(base_url: str, username: str = "admin"):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto("/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url)
        try:
            yield page
        finally:
            browser.close()
