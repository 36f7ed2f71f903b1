"""Steps the browser tests share: open the playground, type, wait for ghost text."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, Response, expect

MODEL_WAIT_MS = 180_000  # a real model on a shared two-core machine


def open_playground(page: Page, url: str) -> None:
    page.goto(f"{url}/ui")
    expect(page.locator("#model option[value=default]")).to_be_attached(timeout=30_000)


def editor_text(page: Page) -> str:
    return str(page.evaluate("window.codefillEditor.state.doc.toString()"))


def cursor(page: Page) -> int:
    return int(page.evaluate("window.codefillEditor.state.selection.main.head"))


def type_at_end(page: Page, text: str) -> None:
    """Put the cursor at the end of the document and type ``text`` key by key."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def wait_for_ghost(page: Page) -> str:
    """The ghost text once the completion has finished streaming."""
    ghost = page.locator(".cm-ghost")
    expect(ghost).to_be_visible(timeout=MODEL_WAIT_MS)
    expect(page.locator("#m-status")).not_to_have_text("generating…", timeout=MODEL_WAIT_MS)
    return ghost.inner_text()


def final_line(response: Response) -> dict[str, Any]:
    """The last NDJSON object of a finished /api/generate answer."""
    lines = [json.loads(line) for line in response.text().splitlines() if line.strip()]
    assert lines and lines[-1]["done"] is True
    return lines[-1]
