"""The playground in a real Chromium against the real server and model: ghost text, the
panel beside the editor, acceptance telemetry, and the chat tab."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from playwright.sync_api import Response, Route, expect

from tests.conftest import Server
from tests.ui.conftest import Browser, screenshot
from tests.ui.pages import (
    MODEL_WAIT_MS,
    cursor,
    editor_text,
    final_line,
    open_playground,
    type_at_end,
    wait_for_ghost,
)


def test_ghost_text_appears_is_dismissed_and_accepted(
    server: Server, open_browser: Callable[..., Browser]
) -> None:
    browser = open_browser(server.url)
    page = browser.page()
    answers: list[Response] = []
    page.on("requestfinished", lambda r: answers.append(r.response()) if "generate" in r.url else 0)
    open_playground(page, server.url)

    type_at_end(page, "result = []\n")
    page.keyboard.type("for n in range(")
    ghost = wait_for_ghost(page)
    assert ghost.strip()
    before = editor_text(page)
    assert ghost not in before

    page.keyboard.press("Escape")
    expect(page.locator(".cm-ghost")).to_have_count(0)
    assert editor_text(page) == before

    answered = len(answers)
    page.keyboard.press("Control+Space")  # ask again at the same place
    ghost = wait_for_ghost(page)
    while len(answers) == answered:
        page.wait_for_timeout(50)  # the stream has ended; its request closes right after
    at = cursor(page)
    screenshot(page, "playground")
    page.keyboard.press("Tab")
    expect(page.locator(".cm-ghost")).to_have_count(0)
    text = editor_text(page)
    assert text == before[:at] + ghost + before[at:]
    assert cursor(page) == at + len(ghost)

    # the panel shows the last answer's own numbers, and the prompt the model was given
    final = final_line(answers[-1])
    timings = final["timings"]
    panel = {key: page.locator(f"#m-{key}") for key in ("prompt-tokens", "cached", "evaluated")}
    expect(panel["prompt-tokens"]).to_have_text(str(timings["prompt_tokens"]))
    expect(panel["cached"]).to_have_text(str(timings["cached_tokens"]))
    expect(panel["evaluated"]).to_have_text(str(timings["evaluated_tokens"]))
    expect(page.locator("#m-ttft")).to_have_text(re.compile(r"^\d+(\.\d+)? m?s$"))
    expect(page.locator("#m-total")).to_contain_text("server")
    # the default model's template is the prefix alone: the code before the cursor
    expect(page.locator("#m-prompt")).to_have_text(before[:at], timeout=MODEL_WAIT_MS)
    if "postprocess" not in final:
        expect(page.locator("#m-rule")).to_have_text("not reported by this server")
    elif final["postprocess"] is None:
        expect(page.locator("#m-rule")).to_have_text("nothing removed")
    else:
        expect(page.locator("#m-rule")).to_have_text(final["postprocess"]["rule"])
        expect(page.locator("#m-removed")).to_have_text(final["postprocess"]["removed"])

    # every completion request names this page's session, so supersession and type-ahead work
    sessions = {r.headers.get("x-codefill-session") for r in browser.api_requests("/api/generate")}
    assert len(sessions) == 1 and re.fullmatch(r"web-[0-9a-f]{16}", sessions.pop() or "")
    bodies = [json.loads(r.post_data or "{}") for r in browser.api_requests("/api/generate")]
    assert all(b["prompt"].startswith("# Language: Python\n# Path: primes.py\n") for b in bodies)
    assert all(b["stream"] is True and b["prompt"].endswith(" <MID>") for b in bodies)


def test_choices_go_to_the_telemetry_route_when_the_answer_names_the_completion(
    server: Server, open_browser: Callable[..., Browser]
) -> None:
    """The page reports view and accept for a completion whose answer carries
    X-Codefill-Completion-Id. Until the server sets that header itself, the test adds it to
    the real answer; a server without ``/api/events`` answers 404 and the page stops."""
    browser = open_browser(server.url)
    browser.expected_statuses.add(404)
    page = browser.page()

    def name_the_completion(route: Route) -> None:
        answer = route.fetch()
        headers = dict(answer.headers)
        headers.setdefault("x-codefill-completion-id", "cmpl-ui-test")
        route.fulfill(response=answer, headers=headers)

    page.route(re.compile(r".*/api/generate$"), name_the_completion)
    open_playground(page, server.url)
    type_at_end(page, "total = 0\n")
    page.keyboard.type("for n in primes_below(")
    wait_for_ghost(page)
    expect(page.locator("#m-id")).not_to_have_text(re.compile("^—"))
    completion_id = page.locator("#m-id").inner_text()
    telemetry = page.locator("#m-telemetry")
    expect(telemetry).not_to_have_text("—")  # the view event has been answered
    page.keyboard.press("Tab")

    view = browser.api_requests("/api/events")[0]
    assert json.loads(view.post_data or "") == {
        "completion_id": completion_id,
        "event": "view",
        "kind": "whole",
    }
    answer = view.response()
    assert answer is not None
    if answer.status == 404:  # no telemetry route on this server: the page stops sending
        expect(telemetry).to_have_text("this server has no telemetry route (api/events)")
        page.evaluate("1")  # a round trip: the Tab key's handlers have run
        assert browser.api_requests("/api/events") == [view]
    else:
        assert answer.ok
        expect(telemetry).to_have_text("sent accept")
        accept = browser.api_requests("/api/events")[1]
        assert json.loads(accept.post_data or "") == {
            "completion_id": completion_id,
            "event": "accept",
            "kind": "whole",
        }


# Record the reply's length each time the page redraws it while it is still streaming.
WATCH_STREAMING = """() => {
  window.seenWhileStreaming = [];
  new MutationObserver(() => {
    const reply = document.querySelector(".msg.assistant .text");
    if (reply && reply.classList.contains("streaming") && reply.textContent) {
      window.seenWhileStreaming.push(reply.textContent.length);
    }
  }).observe(document.querySelector("#chat-log"), { subtree: true, childList: true });
}"""


def test_chat_streams(server: Server, open_browser: Callable[..., Browser]) -> None:
    browser = open_browser(server.url)
    page = browser.page()
    open_playground(page, server.url)
    page.locator("#tab-chat").click()
    expect(page.locator("#pane-chat")).to_be_visible()
    page.locator("#chat-max-tokens").fill("48")
    page.locator("#chat-input").fill("Write a Python function that adds two numbers.")
    page.evaluate(WATCH_STREAMING)
    page.locator("#chat-send").click()

    reply = page.locator(".msg.assistant .text")
    expect(reply).not_to_have_class(re.compile("streaming"), timeout=MODEL_WAIT_MS)
    text = reply.inner_text()
    assert text.strip() and not text.startswith("[error")
    # the reply was drawn in pieces as they arrived, not all at once at the end
    assert int(reply.get_attribute("data-chunks") or 0) > 1
    seen = page.evaluate("window.seenWhileStreaming")
    assert len(set(seen)) > 1 and max(seen) <= len(text)
    expect(page.locator("#chat-stats")).to_contain_text("tokens")
    (request,) = browser.api_requests("/v1/chat/completions")
    body = json.loads(request.post_data or "{}")
    assert body["stream"] is True and body["messages"][-1]["role"] == "user"
    answer = request.response()
    assert answer is not None and answer.headers["content-type"].startswith("text/event-stream")
    screenshot(page, "chat")
