"""The official `ollama` Python client: chat, FIM through /api/generate, model listing."""

from __future__ import annotations

import ollama

from tests.clients.cases import CASES
from tests.clients.conftest import assert_reported
from tests.clients.recorder import Recorder

OPTIONS = {"num_predict": CASES.max_tokens, "temperature": 0}


def test_chat(recorder: Recorder) -> None:
    answer = ollama.Client(host=recorder.url).chat(
        model="default", messages=CASES.chat, options=OPTIONS
    )
    assert answer.done and answer.done_reason in {"stop", "length"}
    assert isinstance(answer.total_duration, int)  # the official client needs nanoseconds
    text = answer.message.content or ""
    assert_reported(recorder.last("/api/chat"), text, answer.prompt_eval_count, answer.eval_count)


def test_chat_stream(recorder: Recorder) -> None:
    client = ollama.Client(host=recorder.url)
    parts = list(client.chat(model="default", messages=CASES.chat, options=OPTIONS, stream=True))
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    text = "".join(p.message.content or "" for p in parts)
    last = parts[-1]
    assert_reported(recorder.last("/api/chat"), text, last.prompt_eval_count, last.eval_count)


def test_fim(recorder: Recorder) -> None:
    client = ollama.Client(host=recorder.url)
    answer = client.generate(
        model=CASES.coder, prompt=CASES.fim_prefix, suffix=CASES.fim_suffix, options=OPTIONS
    )
    text = answer.response or ""
    assert CASES.fim_expected in text
    exchange = recorder.last("/api/generate")
    assert_reported(exchange, text, answer.prompt_eval_count, answer.eval_count)


def test_fim_stream(recorder: Recorder) -> None:
    client = ollama.Client(host=recorder.url)
    parts = list(
        client.generate(
            model=CASES.coder,
            prompt=CASES.fim_prefix,
            suffix=CASES.fim_suffix,
            options=OPTIONS,
            stream=True,
        )
    )
    text = "".join(p.response or "" for p in parts)
    assert CASES.fim_expected in text
    last = parts[-1]
    assert_reported(recorder.last("/api/generate"), text, last.prompt_eval_count, last.eval_count)


def test_list_and_show(recorder: Recorder) -> None:
    client = ollama.Client(host=recorder.url)
    names = [m.model for m in client.list().models]
    assert "default" in names and CASES.coder in names
    shown = client.show(CASES.coder)
    assert shown.capabilities and "insert" in shown.capabilities  # FIM, as Continue checks
    assert ".Suffix" in (shown.template or "")
    assert "FROM /" not in (shown.modelfile or ""), "the modelfile shows the server's file path"
