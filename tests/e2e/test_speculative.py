"""Speculative decoding and the timing breakdown on the real server and both coders.

The shared server does not draft (the default); a second one runs with ``speculative =
true``. Both get the same greedy requests through the official ``openai`` client.
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import Server, start_server, stop_server

CODER = "qwen2.5-coder"
CODERS = [CODER, "qwen2.5-coder:1.5b"]


def repeating_prompt() -> str:
    """Code, then the start of a copy of it: a greedy answer repeats the prompt."""
    text = (Path(sysconfig.get_paths()["stdlib"]) / "bisect.py").read_text()
    block = text[text.index("\ndef ") + 1 :][:1500]
    first = block.split("\n", 1)[0]
    return f"# util.py\n{block}\n\n# util_copy.py: an exact copy of util.py\n{first}\n"


@pytest.fixture(scope="module")
def drafting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("drafting"), "speculative = true\n")
    yield running
    stop_server(running)


def complete(server: Server, prompt: str, model: str = CODER) -> tuple[str, dict[str, Any]]:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-none", timeout=300)
    answer = client.completions.create(
        model=model,
        prompt=prompt,
        max_tokens=64,
        temperature=0,
        extra_body={"postprocess": False},
    )
    extra = answer.model_extra or {}
    return answer.choices[0].text, dict(extra["timings"])


@pytest.mark.parametrize("model", CODERS)
def test_drafts_from_the_prompt_are_taken_and_change_no_text(
    server: Server, drafting: Server, model: str
) -> None:
    prompt = repeating_prompt()
    drafted, timings = complete(drafting, prompt, model)
    text, plain_timings = complete(server, prompt, model)
    assert drafted == text and len(text) > 100
    assert timings["draft_tokens"] > 0 and timings["accepted_tokens"] > 20
    assert plain_timings["draft_tokens"] == 0
    assert timings["completion_tokens"] == plain_timings["completion_tokens"]


@pytest.mark.parametrize("model", CODERS)
def test_fresh_code_changes_no_text_either(server: Server, drafting: Server, model: str) -> None:
    prompt = "# binary_tree.py\nclass Node:\n"
    assert complete(drafting, prompt, model)[0] == complete(server, prompt, model)[0]


def test_an_infill_answer_says_where_its_time_went(server: Server) -> None:
    body = {
        "model": CODER,
        "input_prefix": "def area(width, height):\n    ",
        "input_suffix": "\n\nprint(area(2, 3))\n",
        "n_predict": 16,
        "temperature": 0,
    }
    timings = httpx.post(server.url + "/infill", json=body, timeout=300).json()["timings"]
    for key in ("queue_ms", "decode_ms", "postprocess_ms", "first_text_ms", "cache_n"):
        assert key in timings, key
    assert timings["prompt_n"] > 0 and timings["predicted_n"] > 0
    assert 0 < timings["decode_ms"] <= timings["prompt_ms"] + timings["predicted_ms"] + 1
    assert timings["first_text_ms"] > 0 and timings["postprocess_ms"] >= 0
    assert timings["draft_n_accepted"] <= timings["draft_n"]
