"""HTTP-layer tests of /chat/completions on a fake engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/chat/completions", "/v1/chat/completions"])
def test_non_streaming_chat(client: TestClient, path: str) -> None:
    response = client.post(path, json={"model": "default", "messages": MESSAGES})
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "hello from the fake engine"}
    assert choice["finish_reason"] == "stop" and choice["index"] == 0
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_streaming_chat_is_sse_with_done(client: TestClient) -> None:
    request = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    response = client.post("/chat/completions", json=request)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-2]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "hello from the fake engine"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_content_parts_are_joined(client: TestClient) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text"}]}]
    assert client.post("/chat/completions", json={"messages": messages}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b"{oops", 400, None),
        (b"{}", 400, "messages"),
        (b'{"messages": []}', 400, "messages"),
        (b'{"messages": "hi"}', 400, "messages"),
        (b'{"messages": [{"role": "wizard", "content": "x"}]}', 400, "messages.0.role"),
        (b'{"messages": [{"role": "user", "content": "x"}], "n": 2}', 400, "n"),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}', 400, "max_tokens"),
        (b'{"messages": [{"role": "user", "content": "x"}], "model": "gpt-9"}', 404, None),
    ],
)
def test_bad_requests_get_openai_errors(
    client: TestClient, body: bytes, status: int, param: str | None
) -> None:
    response = client.post("/v1/chat/completions", content=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["param"] == param


def test_unknown_route_in_openai_shape(client: TestClient) -> None:
    response = client.post("/v1/nothing", json={})
    assert response.status_code == 404 and "message" in response.json()["error"]


def test_lowercase_method_from_the_seed_curl_example(client: TestClient) -> None:
    response = client.request("post", "/chat/completions", json={"messages": MESSAGES})
    assert response.status_code == 200


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


def sse_events(text: str) -> list[str]:
    events = text.split("\n\n")
    assert events[-1] == ""
    return [event.removeprefix("data: ") for event in events[:-1]]


def test_models_retrieve_by_name_or_alias(client: TestClient) -> None:
    for path in ("/models/default", "/v1/models/default", "/v1/models/gpt-3.5-turbo"):
        body = client.get(path).json()
        assert body["object"] == "model" and body["id"] == path.rsplit("/", 1)[1]
    missing = client.get("/v1/models/nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "message": "model 'nope' not found",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions"])
def test_an_empty_model_is_the_default_model(client: TestClient, path: str) -> None:
    body: dict[str, Any] = {"model": "", "max_tokens": 4}
    body.update({"messages": MESSAGES} if "chat" in path else {"prompt": "x"})
    answer = client.post(path, json=body)
    assert answer.status_code == 200 and answer.json()["model"] == "default"
