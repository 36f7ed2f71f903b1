"""minuet-ai.nvim in a real Neovim, virtual-text frontend, on the coder model: with its
``openai_fim_compatible`` provider (``/v1/completions`` with ``prompt`` and ``suffix``) and
its ``openai_compatible`` provider (``/v1/chat/completions`` with its own system prompt and
few-shot turns).

The user sets what minuet's README shows for a local server: the provider, its endpoint and
model, an API key (a function: minuet refuses to run without one), and the README's
virtual-text keys (``<A-]>`` asks for a completion, ``<A-A>`` accepts it). Everything else is
minuet's default but one: its 3-second ``request_timeout`` is raised to 120 s, because on
CI's two shared cores even a 41-token FIM prompt (three at once: ``n_completions`` is 3)
took longer than 3 s to start answering, and curl's ``--max-time`` then ended every
request with no text. The test still asks again when a request ended without one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynvim
import pytest

from tests.clients.neovim import start, wait_for
from tests.clients.recorder import Recorder

CODE_BEFORE = ["def fibonacci(n):", '    """The n-th Fibonacci number."""']
TYPED = "    if n == 0"  # (nvim_input reads "<" as the start of a key name)
CODE_AFTER = ["", "", "print(fibonacci(10))"]
# minuet ends the shown text with " (1/3)" when there are several suggestions, and the last
# line of a multi-line one with a space in any case
ANNOTATION = re.compile(r" \(\d+/\d+\)$")
MULTI_LINE_ANNOTATION = re.compile(r" (\(\d+/\d+\))?$")

SETUP = """
local provider, end_point = ...
require('minuet').setup({
  provider = provider,
  provider_options = {
    [provider] = {
      end_point = end_point,
      model = 'default',
      api_key = function() return 'sk-no-key' end,
    },
  },
  virtualtext = { keymap = { accept = '<A-A>', next = '<A-]>' } },
  request_timeout = 120,
})
"""

GHOST = """
local ns = require('minuet.virtualtext').ns_id
for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
  local details = mark[4]
  if details.virt_text then
    local lines = { details.virt_text[1][1] }
    for _, line in ipairs(details.virt_lines or {}) do
      table.insert(lines, line[1][1])
    end
    return lines
  end
end
return nil
"""

PROVIDERS = [
    ("openai_fim_compatible", "/v1/completions"),
    ("openai_compatible", "/v1/chat/completions"),
]


@pytest.fixture(params=PROVIDERS, ids=["fim", "chat"])
def provider(request: pytest.FixtureRequest) -> tuple[str, str]:
    chosen: tuple[str, str] = request.param
    return chosen


@pytest.fixture
def nvim(coder_recorder: Recorder, provider: tuple[str, str]) -> Iterator[pynvim.Nvim]:
    name, route = provider
    editor = start(["minuet-ai.nvim"], "")
    editor.exec_lua(SETUP, name, coder_recorder.url + route)
    yield editor
    editor.close()


def _ghost(editor: pynvim.Nvim) -> list[str] | None:
    lines: list[str] | None = editor.exec_lua(GHOST)
    if not lines:
        return None
    annotation = MULTI_LINE_ANNOTATION if len(lines) > 1 else ANNOTATION
    lines[-1] = annotation.sub("", lines[-1])
    return lines if "".join(lines).strip() else None


def _ask_until_shown(editor: pynvim.Nvim, recorder: Recorder, route: str) -> list[str]:
    """Press the key that asks minuet for a completion, again after each request that
    ended without one (its timeout), until ghost text shows."""

    def shown() -> list[str] | None:
        asked = len(recorder.on(route))
        editor.input("<A-]>")
        deadline = time.monotonic() + 130
        while time.monotonic() < deadline:
            ghost = _ghost(editor)
            if ghost is not None:
                return ghost
            if len(recorder.on(route)) > asked and not editor.exec_lua(BUSY):
                break  # minuet's requests ended and showed nothing: ask again
            time.sleep(0.2)
        return None

    return wait_for(shown, "no ghost text", recorder, timeout=300)


def _changed(editor: pynvim.Nvim, before: list[str]) -> list[str] | None:
    lines: list[str] = editor.current.buffer[:]
    return lines if lines != before else None


BUSY = "return #require('minuet.backends.common').current_jobs > 0"


def test_ghost_text_then_accept(
    nvim: pynvim.Nvim, coder_recorder: Recorder, provider: tuple[str, str], tmp_path: Path
) -> None:
    _name, route = provider
    source = tmp_path / "fib.py"
    source.write_text("\n".join([*CODE_BEFORE, "", *CODE_AFTER]) + "\n")
    nvim.command(f"edit {source}")
    nvim.current.window.cursor = (len(CODE_BEFORE) + 1, 0)
    nvim.input("i" + TYPED)
    typed = [*CODE_BEFORE, TYPED, *CODE_AFTER]
    wait_for(lambda: nvim.current.buffer[:] == typed or None, "typing never ended", coder_recorder)

    ghost = _ask_until_shown(nvim, coder_recorder, route)
    for exchange in coder_recorder.on(route):
        body: dict[str, Any] = exchange.json
        assert body["model"] == "default" and body["stream"] is True
        assert exchange.status == 200, exchange

    nvim.input("<A-A>")
    lines = wait_for(lambda: _changed(nvim, typed), "accepting changed nothing", coder_recorder)
    expected = [*CODE_BEFORE, TYPED + ghost[0], *ghost[1:], *CODE_AFTER]
    assert lines == expected  # the ghost text is in the buffer, the code after it unchanged
