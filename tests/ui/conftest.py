"""A real headless Chromium for the web pages: Debian's ``chromium`` driven by Playwright.

Each test gets a fresh browser profile. The harness records every request the pages make,
every console message and every uncaught error, and after the test checks that no request
left the server's origin and that nothing was logged as an error (a test names the HTTP
statuses it provokes on purpose, whose "Failed to load resource" lines are then expected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Everything Chromium would fetch for itself stays off: this machine has no other network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
_FAILED_LOAD = re.compile(r"the server responded with a status of (\d+)")


@dataclass
class Browser:
    """One Chromium with a fresh profile, and what its pages did."""

    context: BrowserContext
    origin: str
    requests: list[Request] = field(default_factory=list)
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("console", lambda message: self.console.append(message))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def api_requests(self, path: str) -> list[Request]:
        return [r for r in self.requests if urlsplit(r.url).path.endswith(path)]

    def check(self) -> None:
        """No request left the origin; no console error except the statuses expected."""
        foreign = [
            r.url for r in self.requests if not r.url.startswith((self.origin + "/", "data:"))
        ]
        assert foreign == [], f"requests outside {self.origin}: {foreign}"
        assert self.errors == [], f"uncaught errors in the page: {self.errors}"
        unexpected = []
        for message in self.console:
            if message.type != "error":
                continue
            failed = _FAILED_LOAD.search(message.text)
            if failed and int(failed.group(1)) in self.expected_statuses:
                continue
            unexpected.append(message.text)
        assert unexpected == [], f"console errors: {unexpected}"


@pytest.fixture
def open_browser(tmp_path: Path) -> Iterator[Callable[..., Browser]]:
    """``open_browser(origin)``: a Chromium whose requests are recorded and checked."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/test installs it with apt-get")
    opened: list[Browser] = []
    with sync_playwright() as playwright:

        def launch(origin: str, **options: Any) -> Browser:
            context = playwright.chromium.launch_persistent_context(
                tmp_path / f"profile-{len(opened)}",
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1366, "height": 820},
                **options,
            )
            browser = Browser(context, origin.rstrip("/"))
            context.on("request", lambda request: browser.requests.append(request))
            opened.append(browser)
            return browser

        yield launch
        for browser in opened:
            browser.context.close()
    for browser in opened:
        browser.check()


def screenshot(page: Page, name: str) -> None:
    """Write docs/ui/<name>.png, the pictures the README shows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
