"""litellm through each of its routes to codefill: `ollama/` (/api/generate), `ollama_chat/`
(/api/chat), `openai/` (/v1/chat/completions) and `text-completion-openai/` (/v1/completions).

litellm falls back to counting tokens itself when an answer lacks the counts it reads, so
each test checks the usage it reports against the server's own counts.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# Use the model-price table shipped in the wheel instead of fetching it (no network in CI).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from tests.clients.cases import CASES
from tests.clients.conftest import assert_reported
from tests.clients.recorder import Recorder

# model prefix -> (the path litellm sends it to, the base URL it takes)
ROUTES = {
    "ollama/": ("/api/generate", ""),
    "ollama_chat/": ("/api/chat", ""),
    "openai/": ("/v1/chat/completions", "/v1"),
}


def _collect(chunks: Any) -> tuple[str, Any]:
    """The streamed text, and the usage litellm attaches to the last chunk."""
    text, usage = "", None
    for chunk in chunks:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        usage = getattr(chunk, "usage", None) or usage
    assert usage is not None, "litellm reported no usage for the stream"
    return text, usage


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("prefix", list(ROUTES))
def test_chat(recorder: Recorder, prefix: str, stream: bool) -> None:
    path, base = ROUTES[prefix]
    answer: Any = litellm.completion(
        model=prefix + "default",
        messages=CASES.chat,
        api_base=recorder.url + base,
        api_key="sk-no-key",
        max_tokens=CASES.max_tokens,
        temperature=0,
        stream=stream,
        **({"stream_options": {"include_usage": True}} if stream else {}),
    )
    if stream:
        text, usage = _collect(answer)
    else:
        text, usage = answer.choices[0].message.content or "", answer.usage
    exchange = recorder.last(path)
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


def test_ollama_generate_prompt(recorder: Recorder) -> None:
    """`text_completion` with `ollama/` sends the prompt as written to /api/generate."""
    answer: Any = litellm.text_completion(
        model=f"ollama/{CASES.coder}",
        prompt=CASES.fim_prefix,
        api_base=recorder.url,
        max_tokens=CASES.max_tokens,
        temperature=0,
    )
    text = answer.choices[0].text
    assert CASES.fim_expected in text
    usage = answer.usage
    exchange = recorder.last("/api/generate")
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_text_completion_openai_fim(recorder: Recorder, stream: bool) -> None:
    answer: Any = litellm.text_completion(
        model=f"text-completion-openai/{CASES.coder}",
        prompt=CASES.fim_prefix,
        suffix=CASES.fim_suffix,
        api_base=recorder.url + "/v1",
        api_key="sk-no-key",
        max_tokens=CASES.max_tokens,
        temperature=0,
        stream=stream,
        **({"stream_options": {"include_usage": True}} if stream else {}),
    )
    if stream:
        text, usage = "", None
        for chunk in answer:
            text += (chunk.choices[0].text or "") if chunk.choices else ""
            usage = getattr(chunk, "usage", None) or usage
    else:
        text, usage = answer.choices[0].text, answer.usage
    assert CASES.fim_expected in text
    assert usage is not None
    exchange = recorder.last("/v1/completions")
    assert exchange.json["suffix"] == CASES.fim_suffix
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)
