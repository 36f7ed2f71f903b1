"""The official `openai` Python client: chat, FIM through /v1/completions, models."""

from __future__ import annotations

import openai
import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import assert_reported
from tests.clients.recorder import Recorder


def client(recorder: Recorder, strict: bool = True) -> openai.OpenAI:
    """Strict validation checks every field's type against the client's own models."""
    return openai.OpenAI(
        base_url=recorder.url + "/v1",
        api_key="sk-no-key",
        max_retries=0,
        _strict_response_validation=strict,
    )


def test_chat(recorder: Recorder) -> None:
    answer = client(recorder).chat.completions.create(
        model="default", messages=CASES.chat, max_tokens=CASES.max_tokens, temperature=0
    )
    assert answer.usage is not None
    text = answer.choices[0].message.content or ""
    usage = answer.usage
    exchange = recorder.last("/v1/chat/completions")
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


def test_chat_stream(recorder: Recorder) -> None:
    chunks = list(
        client(recorder).chat.completions.create(
            model="default",
            messages=CASES.chat,
            max_tokens=CASES.max_tokens,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = chunks[-1].usage
    assert usage is not None
    exchange = recorder.last("/v1/chat/completions")
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


def test_fim(recorder: Recorder) -> None:
    answer = client(recorder).completions.create(
        model=CASES.coder,
        prompt=CASES.fim_prefix,
        suffix=CASES.fim_suffix,
        max_tokens=CASES.max_tokens,
        temperature=0,
    )
    assert answer.usage is not None
    text = answer.choices[0].text
    assert CASES.fim_expected in text
    usage = answer.usage
    exchange = recorder.last("/v1/completions")
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


def test_fim_stream(recorder: Recorder) -> None:
    # Not strict: the client's `Completion` type has no null `finish_reason`, which OpenAI
    # itself sends on every chunk but the last.
    chunks = list(
        client(recorder, strict=False).completions.create(
            model=CASES.coder,
            prompt=CASES.fim_prefix,
            suffix=CASES.fim_suffix,
            max_tokens=CASES.max_tokens,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert CASES.fim_expected in text
    usage = chunks[-1].usage
    assert usage is not None
    exchange = recorder.last("/v1/completions")
    assert_reported(exchange, text, usage.prompt_tokens, usage.completion_tokens)


def test_models_list_and_retrieve(recorder: Recorder) -> None:
    ids = [m.id for m in client(recorder).models.list()]
    assert "default" in ids and CASES.coder in ids
    model = client(recorder).models.retrieve(CASES.coder)
    assert model.id == CASES.coder and model.object == "model"


def test_unknown_model_is_openai_shaped(recorder: Recorder) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(recorder).chat.completions.create(model="no-such-model", messages=CASES.chat)
    body = caught.value.body
    assert isinstance(body, dict)
    assert (body["type"], body["code"]) == ("invalid_request_error", "model_not_found")
    with pytest.raises(openai.NotFoundError):
        client(recorder).models.retrieve("no-such-model")
