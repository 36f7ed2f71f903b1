"""The pages behind an API key, behind a path prefix, and when the server is overloaded."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Server, start_server, stop_server
from tests.ui.conftest import Browser
from tests.ui.pages import open_playground, type_at_end, wait_for_ghost
from tests.ui.proxy import prefix_proxy
from tests.ui.test_dashboard import open_dashboard

KEY = "ui-test-key-4f1c"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that wants an API key, with one slot and a queue of one (to overload it)."""
    config = "slots = 1\nmax_queue = 1\n"
    running = start_server(tmp_path_factory.mktemp("keyed"), config, "--api-key", KEY)
    yield running
    stop_server(running)


def test_a_key_protected_server_refuses_without_the_key_and_works_with_it(
    keyed: Server, open_browser: Callable[..., Browser]
) -> None:
    browser = open_browser(keyed.url)
    browser.expected_statuses.add(401)
    page = browser.page()
    page.goto(f"{keyed.url}/ui")  # the page itself is open: it holds no data
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()  # api/tags answered 401: the page asks for a key
    assert [r.response().status for r in browser.api_requests("/api/tags")] == [401]  # type: ignore[union-attr]

    page.locator("#key-input").fill("not-the-key")
    page.locator("#key-submit").click()
    expect(page.locator("#key-message")).to_contain_text("refused")
    page.locator("#key-input").fill(KEY)
    page.locator("#key-submit").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#model option[value=default]")).to_be_attached()

    type_at_end(page, "found = [n for n in range(")
    assert wait_for_ghost(page).strip()
    # the key lives in this tab's sessionStorage only, and goes out as a Bearer token
    stored = page.evaluate("[sessionStorage.length, localStorage.length, document.cookie]")
    assert stored == [1, 0, ""]
    sent = [r.headers.get("authorization") for r in browser.api_requests("/api/generate")]
    assert sent and set(sent) == {f"Bearer {KEY}"}

    open_dashboard(page, keyed.url)  # same tab: the key carries over, no second ask
    expect(dialog).to_be_hidden()
    expect(page.locator("#models")).to_contain_text("default")
    refused = [r for r in browser.requests if r.response() and r.response().status == 401]  # type: ignore[union-attr]
    assert {urlsplit(r.url).path for r in refused} == {"/api/tags"}
    assert all(r.headers.get("authorization") != f"Bearer {KEY}" for r in refused)


@contextlib.contextmanager
def occupied(server: Server) -> Iterator[None]:
    """Fill the one slot and the queue of one with long generations."""
    body = {
        "prompt": "Once upon a time",
        "stream": True,
        "postprocess": False,
        "options": {"num_predict": 2000},
    }
    headers = {"Authorization": f"Bearer {KEY}"}
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(httpx.Client(base_url=server.url, timeout=120))
        # an earlier test's page may have left a completion that is still being aborted
        deadline = time.monotonic() + 60
        while load(client) != (0, 0):
            assert time.monotonic() < deadline, "the server did not become idle"
            time.sleep(0.2)
        for _ in range(2):
            stream = stack.enter_context(
                client.stream("POST", "/api/generate", json=body, headers=headers)
            )
            assert stream.status_code == 200
        assert load(client) == (1, 1)
        yield


def load(client: httpx.Client) -> tuple[int, int]:
    """The default model's queued jobs and busy slots, from /health."""
    model = client.get("/health").json()["models"]["default"]
    return model["queued"], model["busy_slots"]


def test_an_overloaded_server_gets_a_clear_message(
    keyed: Server, open_browser: Callable[..., Browser]
) -> None:
    browser = open_browser(keyed.url)
    browser.expected_statuses.add(503)
    browser.context.add_init_script(f"sessionStorage.setItem('codefill-api-key', '{KEY}')")
    page = browser.page()
    open_playground(page, keyed.url)
    with occupied(keyed):
        type_at_end(page, "x = ")
        banner = page.locator("#banner")
        expect(banner).to_be_visible(timeout=30_000)
        expect(banner).to_contain_text("The server is busy (503): the request queue is full")
        expect(banner).to_contain_text("Try again in 1 s.")
    expect(page.locator(".cm-ghost")).to_have_count(0)


def test_the_pages_work_behind_a_path_prefix(
    server: Server, open_browser: Callable[..., Browser]
) -> None:
    with prefix_proxy(server.url, "/codefill") as (base, proxy):
        origin = base.removesuffix("/codefill")
        browser = open_browser(origin)
        page = browser.page()
        page.goto(f"{base}/ui/")  # the trailing slash redirects to the page, relatively
        assert urlsplit(page.url).path == "/codefill/ui"
        open_playground(page, base)
        type_at_end(page, "evens = [n for n in range(")
        assert wait_for_ghost(page).strip()
        expect(page.locator("#m-prompt")).not_to_be_empty()
        page.locator("a[href='ui/dashboard']").click()
        expect(page.locator("#v-updated")).not_to_have_text("—", timeout=30_000)
        expect(page.locator("#models")).to_contain_text("default")
        page.locator("a[href='../ui']").click()
        expect(page.locator("#model option[value=default]")).to_be_attached()
        page.close()  # before the proxy goes away
    paths = [urlsplit(r.url).path for r in browser.requests]
    assert "/codefill/api/generate" in paths and "/codefill/metrics" in paths
    assert all(path.startswith("/codefill/") for path in paths), paths
    assert all(path.startswith("/codefill/") for path in proxy.paths)


def test_the_harness_catches_console_errors_and_foreign_requests(
    server: Server, open_browser: Callable[..., Browser]
) -> None:
    """The checks every browser test ends with can fail: an error logged by the page, and a
    request that leaves the server's origin, are both reported. The pages' Content Security
    Policy stops a request to another origin before it is made."""
    browser = open_browser(server.url)
    page = browser.page()
    page.goto(f"{server.url}/ui")
    page.evaluate("console.error('something broke')")
    with pytest.raises(AssertionError, match="something broke"):
        browser.check()
    browser.console.clear()

    page.evaluate("fetch('http://127.0.0.2:9/elsewhere').catch(() => {})")
    expect(page.locator("#model option[value=default]")).to_be_attached()
    assert not any("elsewhere" in r.url for r in browser.requests)
    with pytest.raises(AssertionError, match="Content Security Policy"):
        browser.check()
    browser.console.clear()

    seen_from_elsewhere = Browser(browser.context, "http://127.0.0.1:9", list(browser.requests))
    with pytest.raises(AssertionError, match="requests outside"):
        seen_from_elsewhere.check()
