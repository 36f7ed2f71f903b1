"""HTTP-layer tests of the model routes, chat and legacy completions on a fake engine."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
    with TestClient(fake_app()) as test_client:
        yield test_client


def sse_events(text: str) -> list[str]:
    events = text.split("\n\n")
    assert events[-1] == ""
    return [event.removeprefix("data: ") for event in events[:-1]]


def test_legacy_completion_whole(client: TestClient) -> None:
    body = client.post("/v1/completions", json={"prompt": "def f(", "suffix": ")"}).json()
    assert body["object"] == "text_completion" and body["id"].startswith("cmpl-")
    assert body["choices"][0]["text"] == "hello from the fake engine"[:64]
    assert body["choices"][0]["finish_reason"] in {"stop", "length"}
    assert body["usage"]["prompt_tokens"] > 0 and "timings" in body


def test_legacy_completion_stream_ends_with_a_finish_reason_before_done(
    client: TestClient,
) -> None:
    response = client.post(
        "/completions", json={"prompt": ["x"], "stream": True, "max_tokens": 100}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "text_completion" for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in chunks[:-1])
    assert "".join(c["choices"][0]["text"] for c in chunks) == "hello from the fake engine"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompt": "x", "echo": True}, "echo"),
        ({"prompt": ["a", "b"]}, "prompt"),
        ({"prompt": [1, 2]}, "prompt"),
        ({}, "prompt"),
    ],
)
def test_legacy_completion_refusals(client: TestClient, body: dict[str, Any], needle: str) -> None:
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 400 and needle in response.json()["error"]["message"]


def test_models_list(client: TestClient) -> None:
    for path in ("/models", "/v1/models"):
        body = client.get(path).json()
        assert body["object"] == "list"
        assert {"id", "object", "created", "owned_by"} <= set(body["data"][0])


def test_tags_ps_version_root(client: TestClient) -> None:
    tags = client.get("/api/tags").json()["models"]
    assert any(model["name"] == "default" and model["model"] == "default" for model in tags)
    running = client.get("/api/ps").json()["models"]
    assert [model["name"] for model in running] == ["default"]
    assert running[0]["expires_at"] and running[0]["context_length"] == 4096
    assert client.get("/api/version").json()["version"]
    assert client.get("/").text == "Ollama is running"
    assert client.head("/").status_code == 200


def test_show_takes_model_or_name(client: TestClient) -> None:
    for body in ({"model": "default"}, {"name": "default"}):
        shown = client.post("/api/show", json=body).json()
        assert "model_info" in shown and "num_ctx 4096" in shown["parameters"]
        # the fake vocabulary has FIM tokens, so the model supports insert
        assert ".Suffix" in shown["template"] and "insert" in shown["capabilities"]
    missing = client.post("/api/show", json={})
    assert missing.status_code == 400 and "model" in missing.json()["error"]


def test_chat_streams_by_default_and_answers_whole_on_request(client: TestClient) -> None:
    messages = [{"role": "user", "content": "hi"}]
    streamed = client.post("/api/chat", json={"messages": messages})
    assert streamed.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert all(line["message"]["role"] == "assistant" for line in lines)
    whole = client.post("/api/chat", json={"messages": messages, "stream": False}).json()
    assert whole["message"]["content"] == "hello from the fake engine"
    load = client.post("/api/chat", json={"messages": [], "stream": False}).json()
    assert load["done_reason"] == "load"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompt": "x", "raw": True, "template": "{{ .Prompt }}"}, "raw"),
        ({"prompt": "a <SUF> b", "suffix": "c"}, "suffix"),
        ({"prompt": "x", "template": "{{ if .Suffix }}{{ end }}"}, "template"),
        ({"prompt": "x", "keep_alive": "forever"}, "duration"),
        ({"prompt": "x", "keep_alive": True}, "keep_alive"),
    ],
)
def test_generate_refusals(client: TestClient, body: dict[str, Any], needle: str) -> None:
    response = client.post("/api/generate", json=body)
    assert response.status_code == 400 and needle in response.json()["error"]


def test_raw_suffix_is_ignored_and_templates_apply(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        client.post("/api/generate", json={"prompt": "P", "suffix": "S", "raw": True})
        client.post("/api/generate", json={"prompt": "P", "template": "[{{ .Prompt }}]"})
        client.post("/api/generate", json={"prompt": "P", "suffix": "S"})
        engine = app.state.manager.loaded()[0].engine
    texts = [job.text for job in engine.jobs]
    assert texts[0] == "P"  # raw: verbatim, suffix ignored as in Ollama
    assert texts[1] == "[P]"
    assert texts[2] == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"


def test_truncation_is_reported(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        body = {
            "prompt": "a" * 3000,
            "suffix": "b" * 3000,
            "stream": False,
            "options": {"num_ctx": 1000, "num_predict": 100},
        }
        answer = client.post("/api/generate", json=body).json()
        job = app.state.manager.loaded()[0].engine.jobs[-1]
    assert answer["timings"]["truncated_tokens"] > 0
    assert len(job.tokens) < 1000 - 100
    text = job.text
    # the markers survive; the prefix lost its start, the suffix its end, the prefix kept more
    assert text.startswith("<|fim_prefix|>a") and text.endswith("b<|fim_middle|>")
    assert text.count("a") > text.count("b") > 0
