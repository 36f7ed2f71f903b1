"""Token healing on the real Qwen2.5-Coder model: a cursor in the middle of a word.

Without healing the model sees the prompt end on a split token (``"   " + " p"``) and starts
a fresh word (``return ...``), so the line reads ``preturn``; with it, the model finishes
the word the user is typing.
"""

from __future__ import annotations

import builtins
import json
import keyword
import re
from typing import Any

import httpx
import pytest

from codefill.prompt.healing import MAX_BACKOFF_TOKENS
from tests.conftest import Server

CODER = "qwen2.5-coder"
GREEDY = {"temperature": 0, "num_predict": 24}
# Cursors after one typed letter where the unhealed model writes `return ...` (measured).
CASES = [
    ("def greet(name):\n    p", "\n"),
    ("def is_even(n):\n    f", "\n"),
    ("def add(a, b):\n    w", "\n"),
]
_WORD = re.compile(r"\w+")


def first_word(prefix: str, answer: str) -> str:
    """The word the cursor was in, as the answer leaves it."""
    line = (prefix + answer).split("\n")[prefix.count("\n")]
    found = _WORD.search(line)
    assert found, line
    return found.group()


def is_real_word(word: str, prefix: str) -> bool:
    """A keyword, a builtin or a name the code already uses: not a doubled letter."""
    return keyword.iskeyword(word) or hasattr(builtins, word) or f" {word}" in prefix


def reply(client: httpx.Client, prefix: str, suffix: str, **fields: object) -> dict[str, Any]:
    body = {"model": CODER, "prompt": f"{prefix} <SUF> {suffix} <MID>", "options": GREEDY}
    answer = client.post("/api/generate", json={**body, "stream": False, **fields})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize(("prefix", "suffix"), CASES)
def test_a_mid_word_cursor_finishes_the_word_with_healing(
    server: Server, prefix: str, suffix: str
) -> None:
    with server.client() as client:
        on = reply(client, prefix, suffix)  # healing is on by default
        off = reply(client, prefix, suffix, token_healing=False)
        raw = client.post(
            "/api/generate",
            json={
                "model": CODER,
                "prompt": f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
                "raw": True,
                "stream": False,
                "options": {**GREEDY, "stop": ["\n"]},
            },
        ).json()["response"]
    healed, unhealed = str(on["response"]), str(off["response"])
    # the client's prompt has as many tokens either way; healing moved some into generation
    assert on["input_tokens"] == off["input_tokens"]
    word = first_word(prefix, healed)
    assert is_real_word(word, prefix), f"healed answer {healed!r} gives {word!r}"
    doubled = first_word(prefix, unhealed)
    assert not is_real_word(doubled, prefix) and keyword.iskeyword(doubled[1:]), unhealed
    # healing off is the old behaviour: the same answer as the prompt sent verbatim
    assert unhealed.split("\n")[0] == raw.split("\n")[0]


def test_streamed_and_whole_healed_answers_match(server: Server) -> None:
    prefix, suffix = CASES[0]
    body = {"model": CODER, "prompt": f"{prefix} <SUF> {suffix} <MID>", "options": GREEDY}
    with server.client() as client:
        whole = client.post("/api/generate", json={**body, "stream": False}).json()
        streamed = client.post("/api/generate", json={**body, "stream": True})
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert "".join(line["response"] for line in lines) == whole["response"]
    assert lines[-1]["done"] is True
    assert not whole["response"].startswith(prefix[-1])  # the typed letter is not repeated


def test_keystrokes_reuse_the_cache_and_follow_the_healed_answer(server: Server) -> None:
    prefix, suffix = "import os\n\n\ndef list_files(path):\n    ", "\n"
    with server.client() as client:
        answers = [(typed, reply(client, prefix + typed, suffix)) for typed in ("r", "re", "ret")]
        # a keystroke the first answer does not continue still reuses the cache
        other = reply(client, prefix + "rx", suffix)
    for typed, answer in answers:
        assert first_word(prefix + typed, answer["response"]) == "return", answer
    # "re" continues the first answer: type-ahead serves it with no model work
    assert answers[1][1]["timings"]["typeahead"] is True
    timings = other["timings"]
    assert timings["typeahead"] is False
    # only the backed-off tokens and the last one before them are computed again
    assert timings["evaluated_tokens"] <= 1 + MAX_BACKOFF_TOKENS, timings


def test_openai_completions_and_infill_take_the_switch(server: Server) -> None:
    prefix, suffix = CASES[0]
    with server.client() as client:
        texts = {}
        for healing in (True, False):
            openai = client.post(
                "/v1/completions",
                json={
                    "model": CODER,
                    "prompt": prefix,
                    "suffix": suffix,
                    "max_tokens": 24,
                    "temperature": 0,
                    "token_healing": healing,
                },
            ).json()
            infill = client.post(
                "/infill",
                json={
                    "model": CODER,
                    "input_prefix": prefix[:-1],
                    "prompt": prefix[-1],
                    "input_suffix": suffix,
                    "n_predict": 24,
                    "temperature": 0,
                    "token_healing": healing,
                },
            ).json()
            texts[healing] = (openai["choices"][0]["text"], infill["content"])
    for text in texts[True]:
        assert is_real_word(first_word(prefix, text), prefix), texts
    for text in texts[False]:
        assert not is_real_word(first_word(prefix, text), prefix), texts
