"""cmp-ai through nvim-cmp (with plenary.nvim) in a real Neovim, on the coder model.

cmp-ai's Ollama backend posts to ``/api/generate`` with its default prompt, CodeLlama's
infill form ``'<PRE> ' .. before .. ' <SUF>' .. after .. ' <MID>'``, and ``stream: false``
(vendor/cmp-ai, pinned). The user here sets what the plugin's README shows: cmp's source
list, the ``<C-Space>``/``<CR>`` mappings of nvim-cmp's README, and cmp-ai's provider
``Ollama`` with the endpoint and model; everything else is the plugins' defaults. The user
opens the menu, confirms cmp-ai's item, and sees the completion in the buffer with the code
after the cursor as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynvim
import pytest

from tests.clients.neovim import start, wait_for
from tests.clients.recorder import Recorder

CODE_BEFORE = ["def factorial(n):", "    if n < 2:", "        return 1"]
TYPED = "    result = n * fact"
CODE_AFTER = ["    return result", "", "", "print(factorial(5))"]

SETUP = """
local cmp = require('cmp')
cmp.setup({
  sources = { { name = 'cmp_ai' } },
  mapping = cmp.mapping.preset.insert({
    ['<C-Space>'] = cmp.mapping.complete(),
    ['<CR>'] = cmp.mapping.confirm({ select = true }),
  }),
})
require('cmp_ai.config'):setup({
  provider = 'Ollama',
  provider_options = { base_url = ..., model = 'default' },
})
"""

ENTRIES = """
local found = {}
for _, entry in ipairs(require('cmp').get_entries()) do
  if entry.source.name == 'cmp_ai' then
    table.insert(found, entry:get_completion_item().label)
  end
end
return found
"""


@pytest.fixture
def nvim(coder_recorder: Recorder) -> Iterator[pynvim.Nvim]:
    editor = start(
        ["plenary.nvim", "nvim-cmp", "cmp-ai"],
        SETUP.replace("...", repr(coder_recorder.url + "/api/generate")),
    )
    yield editor
    editor.close()


def _labels(editor: pynvim.Nvim) -> list[str] | None:
    if not editor.exec_lua("return require('cmp').visible()"):
        return None
    labels: list[str] = editor.exec_lua(ENTRIES)
    return labels or None


def _changed(editor: pynvim.Nvim, before: list[str]) -> list[str] | None:
    lines: list[str] = editor.current.buffer[:]
    return lines if lines != before else None


def test_confirm_the_cmp_ai_item(
    nvim: pynvim.Nvim, coder_recorder: Recorder, tmp_path: Path
) -> None:
    source = tmp_path / "factorial.py"
    source.write_text("\n".join([*CODE_BEFORE, "", *CODE_AFTER]) + "\n")
    nvim.command(f"edit {source}")
    nvim.current.window.cursor = (len(CODE_BEFORE) + 1, 0)
    nvim.input("i" + TYPED)
    typed = [*CODE_BEFORE, TYPED, *CODE_AFTER]
    wait_for(lambda: nvim.current.buffer[:] == typed or None, "typing never ended", coder_recorder)
    nvim.input("<C-Space>")
    label = wait_for(lambda: _labels(nvim), "no cmp-ai item in the menu", coder_recorder)[0]

    # the item is the typed word (from where cmp's keyword starts) and the server's answer
    answers = {}
    for exchange in coder_recorder.on("/api/generate"):
        sent: dict[str, Any] = exchange.json
        assert exchange.status == 200, exchange
        assert sent["model"] == "default" and sent["stream"] is False
        assert sent["prompt"].startswith("<PRE> def factorial(n):\n")
        assert sent["prompt"].endswith(" <SUF>\n" + "\n".join(CODE_AFTER) + " <MID>")
        answers[exchange.objects()[-1]["response"]] = exchange
    shown = [r for r in answers if r and label.endswith(r) and "fact".startswith(label[: -len(r)])]
    assert shown, f"no answer is the item {label!r}; cmp-ai sent:\n{coder_recorder.sent()}"

    nvim.input("<CR>")
    lines = wait_for(lambda: _changed(nvim, typed), "confirming changed nothing", coder_recorder)
    start = TYPED.removesuffix("fact")
    expected = [*CODE_BEFORE, *(start + label).split("\n"), *CODE_AFTER]
    assert lines == expected  # the completion is in, and the code after the cursor as it was
