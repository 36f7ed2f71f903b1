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
