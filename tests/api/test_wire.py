"""Request bodies: nesting and string-length limits, in each dialect's error shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient


def test_json_depth_limit(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(max_json_depth=8)) as client:
        nested: Any = "x"
        for _ in range(10):
            nested = [nested]
        response = client.post("/api/generate", json={"prompt": "x", "extra": nested})
        assert response.status_code == 400 and "nested" in response.json()["error"]
        very_deep = b'{"prompt": "x", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        assert client.post("/api/generate", content=very_deep).status_code == 400


def test_string_length_limit_in_both_dialects(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(max_string_chars=2048)) as client:
        long = "x" * 2049
        ollama = client.post("/api/chat", json={"messages": [{"role": "user", "content": long}]})
        assert ollama.status_code == 400
        assert "messages.0.content" in ollama.json()["error"]
        openai = client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": long}]}
        )
        assert openai.status_code == 400
        assert openai.json()["error"]["param"] == "messages.0.content"
        assert client.post("/api/generate", json={"prompt": long}).status_code == 400
        assert client.post("/api/generate", json={"prompt": "x" * 2048}).status_code == 200
