"""The dashboard in a real Chromium: its numbers come from the server and move with traffic."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import Server
from tests.ui.conftest import Browser, screenshot

POLL_WAIT_MS = 30_000


def number(page: Page, id_: str) -> int:
    return int(page.locator(f"#{id_}").inner_text().replace(",", ""))


def wait_above(page: Page, id_: str, floor: int) -> int:
    """The number shown as ``id_`` once it is at least ``floor`` (the page polls every 2 s)."""
    for _ in range(POLL_WAIT_MS // 250):
        value = number(page, id_)
        if value >= floor:
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"#{id_} stayed at {number(page, id_)}, below {floor}")


def open_dashboard(page: Page, url: str) -> None:
    page.goto(f"{url}/ui/dashboard")
    expect(page.locator("#v-updated")).not_to_have_text("—", timeout=POLL_WAIT_MS)


def test_numbers_move_after_requests(server: Server, open_browser: Callable[..., Browser]) -> None:
    browser = open_browser(server.url)
    page = browser.page()
    open_dashboard(page, server.url)
    expect(page.locator("#v-health")).to_have_text("ready")
    expect(page.locator("#models")).to_contain_text("default")
    requests, tokens = number(page, "v-requests"), number(page, "v-tokens")

    generated = 0
    with server.client() as client:
        for prompt in ("def add(a, b):\n", "class Stack:\n"):
            answer = client.post(
                "/api/generate",
                json={"prompt": prompt, "stream": False, "options": {"num_predict": 8}},
            )
            assert answer.status_code == 200
            generated += answer.json()["output_tokens"]
        metrics = client.get("/metrics").text

    wait_above(page, "v-requests", requests + 2)
    wait_above(page, "v-tokens", tokens + generated)
    # the percentiles come from the histograms the server exported
    assert "codefill_time_to_first_token_seconds_bucket" in metrics
    expect(page.locator("#v-ttft-p50")).to_have_text(re.compile(r"^\d+(\.\d+)? m?s$"))
    expect(page.locator("#v-lat-p95")).to_have_text(re.compile(r"^\d+(\.\d+)? m?s$"))
    expect(page.locator("#routes")).to_contain_text("/api/generate")
    for id_ in ("v-busy", "v-queue", "v-reused", "v-superseded", "v-cancelled"):
        expect(page.locator(f"#{id_}")).to_have_text(re.compile(r"^[\d,]+$"))
    # charts have drawn lines once there are two readings
    expect(page.locator("#c-tps polyline").first).to_be_attached(timeout=POLL_WAIT_MS)
    screenshot(page, "dashboard")
