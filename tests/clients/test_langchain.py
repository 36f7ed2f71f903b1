"""LangChain's Python integrations: langchain-ollama (on the ollama client) and
langchain-openai (on the openai client), chat and completion models."""

from __future__ import annotations

from typing import Any

from langchain_ollama import ChatOllama, OllamaLLM
from langchain_openai import ChatOpenAI, OpenAI

from tests.clients.cases import CASES
from tests.clients.conftest import assert_reported
from tests.clients.recorder import Recorder


def _ollama_chat(recorder: Recorder) -> ChatOllama:
    return ChatOllama(
        model="default", base_url=recorder.url, temperature=0, num_predict=CASES.max_tokens
    )


def _openai_chat(recorder: Recorder) -> ChatOpenAI:
    return ChatOpenAI(
        model="default",
        base_url=recorder.url + "/v1",
        api_key="sk-no-key",  # type: ignore[arg-type]
        temperature=0,
        max_tokens=CASES.max_tokens,  # type: ignore[call-arg]
        stream_usage=True,
        max_retries=0,
    )


def _streamed(model: Any) -> Any:
    chunks = list(model.stream(CASES.chat))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    return whole


def _check_message(recorder: Recorder, path: str, message: Any) -> None:
    usage = message.usage_metadata
    assert usage is not None, "the client reported no usage"
    text = message.content
    assert_reported(recorder.last(path), text, usage["input_tokens"], usage["output_tokens"])


def test_ollama_chat(recorder: Recorder) -> None:
    _check_message(recorder, "/api/chat", _ollama_chat(recorder).invoke(CASES.chat))


def test_ollama_chat_stream(recorder: Recorder) -> None:
    _check_message(recorder, "/api/chat", _streamed(_ollama_chat(recorder)))


def test_ollama_completion(recorder: Recorder) -> None:
    llm = OllamaLLM(
        model=CASES.coder, base_url=recorder.url, temperature=0, num_predict=CASES.max_tokens
    )
    result = llm.generate([CASES.fim_prefix])
    generation = result.generations[0][0]
    assert CASES.fim_expected in generation.text
    info = generation.generation_info or {}
    exchange = recorder.last("/api/generate")
    assert_reported(
        exchange, generation.text, info.get("prompt_eval_count"), info.get("eval_count")
    )
    assert "".join(llm.stream(CASES.fim_prefix)) == generation.text


def test_openai_chat(recorder: Recorder) -> None:
    _check_message(recorder, "/v1/chat/completions", _openai_chat(recorder).invoke(CASES.chat))


def test_openai_chat_stream(recorder: Recorder) -> None:
    _check_message(recorder, "/v1/chat/completions", _streamed(_openai_chat(recorder)))


def test_openai_completion_fim(recorder: Recorder) -> None:
    llm = OpenAI(
        model=CASES.coder,
        base_url=recorder.url + "/v1",
        api_key="sk-no-key",  # type: ignore[arg-type]
        temperature=0,
        max_tokens=CASES.max_tokens,
        model_kwargs={"suffix": CASES.fim_suffix},
        max_retries=0,
    )
    result = llm.generate([CASES.fim_prefix])
    text = result.generations[0][0].text
    assert CASES.fim_expected in text
    usage = (result.llm_output or {})["token_usage"]
    exchange = recorder.last("/v1/completions")
    assert exchange.json["suffix"] == CASES.fim_suffix
    assert_reported(exchange, text, usage["prompt_tokens"], usage["completion_tokens"])
