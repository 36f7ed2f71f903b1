"""Chats longer than the context, on the real default model, as Ollama answers them: the
system message and the latest turns stay, older turns are left out whole, the answer says
how many messages and tokens went, and only a chat whose system message and last message
cannot fit is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server, start_server, stop_server

# The default model with a short context, so that a chat past it is quick to answer.
CONTEXT = 1024
CONFIG = f'[[models]]\nname = "default"\nbuiltin = "smollm2"\ncontext_length = {CONTEXT}\n'

SYSTEM = {"role": "system", "content": "You are a helpful assistant. Answer in one word."}
LAST = {"role": "user", "content": "What colour is the sky on a clear day?"}


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("short-context"), CONFIG)
    yield running
    stop_server(running)


def _history(turns: int, words: int) -> list[dict[str, str]]:
    messages = []
    for turn in range(turns):
        text = " ".join(f"word{turn}x{i}" for i in range(words))
        messages.append({"role": "user", "content": f"Question {turn}: {text}"})
        messages.append({"role": "assistant", "content": f"Answer {turn}: {text}"})
    return messages


def _kept_newest_turns(timings: dict[str, Any], sent: int) -> None:
    assert timings["dropped_messages"] > 0 and timings["truncated_tokens"] > 0
    assert timings["dropped_messages"] % 2 == 0  # whole turns: a question with its answer
    assert timings["dropped_messages"] <= sent - 2  # the system and the last message stay


def test_ollama_chat_over_num_ctx_keeps_the_system_and_latest_turns(short: Server) -> None:
    messages = [SYSTEM, *_history(6, 30), LAST]
    body = {
        "model": "default",
        "messages": messages,
        "stream": False,
        "options": {"num_ctx": 512, "num_predict": 8, "temperature": 0},
    }
    with short.client() as client:
        answer = client.post("/api/chat", json=body)
    assert answer.status_code == 200, answer.text
    final = answer.json()
    _kept_newest_turns(final["timings"], len(messages))
    assert final["prompt_eval_count"] < 512 and final["message"]["content"]


@pytest.mark.parametrize("stream", [False, True])
def test_openai_chat_over_the_models_context_is_answered(short: Server, stream: bool) -> None:
    messages = [SYSTEM, *_history(8, 60), LAST]
    body = {"model": "default", "messages": messages, "max_tokens": 8, "temperature": 0}
    body |= {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    with short.client() as client:
        answer = client.post("/v1/chat/completions", json=body)
    assert answer.status_code == 200, answer.text
    objects = [answer.json()] if not stream else _events(answer.text)
    timings = next(o["timings"] for o in objects if "timings" in o)
    usage = next(o["usage"] for o in objects if o.get("usage"))
    _kept_newest_turns(timings, len(messages))
    assert usage["prompt_tokens"] < CONTEXT
    assert usage["prompt_tokens"] + timings["truncated_tokens"] > CONTEXT


def _events(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: {")]


def test_a_system_and_last_message_over_the_context_is_refused(short: Server) -> None:
    long_system = {"role": "system", "content": "rule " * 2000}
    body = {
        "model": "default",
        "messages": [long_system, *_history(2, 10), LAST],
        "stream": False,
        "options": {"num_ctx": 512},
    }
    with short.client() as client:
        answer = client.post("/api/chat", json=body)
    assert answer.status_code == 400
    assert "cannot be shortened to fit the context of 512 tokens" in answer.json()["error"]
