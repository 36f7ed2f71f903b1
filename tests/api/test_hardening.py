"""Keys, limits, metrics and the access log on a fake engine."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

KEYS = ("key-one", "key-two")
PROMPT = {"prompt": "secret code", "stream": False}


@pytest.fixture
def locked(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app(api_keys=KEYS)) as client:
        yield client


@pytest.mark.parametrize("path", ["/api/generate", "/api/tags", "/v1/models", "/metrics", "/"])
def test_requests_without_a_valid_key_get_401_in_their_dialect(
    locked: TestClient, path: str
) -> None:
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "key-one"}):
        response = locked.post(path, json=PROMPT, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        if path.startswith("/api/"):
            assert isinstance(error, str) and "API key" in error
        else:
            assert error["type"] == "authentication_error" and "API key" in error["message"]


def test_valid_keys_are_accepted_and_health_stays_open(locked: TestClient) -> None:
    assert locked.get("/health").status_code == 200
    for headers in (
        {"authorization": "Bearer key-one"},
        {"authorization": "bearer key-two"},
        {"x-api-key": "key-two"},
    ):
        assert locked.post("/api/generate", json=PROMPT, headers=headers).status_code == 200


def test_body_limit(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(max_body_bytes=2048)) as client:
        declared = client.post("/api/generate", json={"prompt": "x" * 4000})
        assert declared.status_code == 413 and "limit" in declared.json()["error"]

        def chunks() -> Any:
            for _ in range(10):
                yield b" " * 500

        streamed = client.post("/v1/completions", content=chunks())
        assert streamed.status_code == 413 and "limit" in streamed.json()["error"]["message"]
        assert client.post("/api/generate", json=PROMPT).status_code == 200


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


def test_max_tokens_limit(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(max_tokens_limit=100)) as client:
        over = client.post("/api/generate", json={**PROMPT, "options": {"num_predict": 101}})
        assert over.status_code == 400 and "at most 100" in over.json()["error"]
        chat = client.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "x"}], "max_tokens": 500},
        )
        assert chat.status_code == 400 and chat.json()["error"]["param"] == "max_tokens"
        unlimited = client.post("/api/generate", json={**PROMPT, "options": {"num_predict": -1}})
        assert unlimited.status_code == 200


def test_metrics_count_requests_tokens_and_latency(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app()) as client:
        client.post("/api/generate", json=PROMPT)
        client.post("/api/generate", content=b"{bad")
        text = client.get("/metrics").text
    assert 'codefill_requests_total{route="/api/generate",status="200"} 1.0' in text
    assert 'codefill_requests_total{route="/api/generate",status="400"} 1.0' in text
    assert 'codefill_completion_tokens_total{model="default"}' in text
    assert "codefill_time_to_first_token_seconds_bucket" in text
    assert 'codefill_generations_total{model="default",reason="stop"} 1.0' in text
    assert 'codefill_busy_slots{model="default"} 0.0' in text
    assert "codefill_loaded_models 1.0" in text and "codefill_superseded_requests_total" in text


def test_access_log_has_one_line_per_request_and_no_prompt_text(
    fake_app: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="codefill.access"), TestClient(fake_app()) as client:
        client.post("/api/generate", json=PROMPT, headers={"authorization": "Bearer sk-123"})
    lines = [r.getMessage() for r in caplog.records if r.name == "codefill.access"]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["route"] == "/api/generate" and entry["status"] == 200
    assert entry["model"] == "default" and entry["completion_tokens"] > 0
    assert entry["finish"] == "stop" and entry["total_ms"] >= 0
    assert "secret code" not in lines[0] and "sk-123" not in lines[0]


def test_cors_is_off_unless_configured(fake_app: Callable[..., Any]) -> None:
    origin = {"origin": "https://example.com"}
    with TestClient(fake_app()) as client:
        assert "access-control-allow-origin" not in client.get("/api/tags", headers=origin).headers
    with TestClient(fake_app(cors_origins=["https://example.com"])) as client:
        allowed = client.get("/api/tags", headers=origin).headers
        assert allowed["access-control-allow-origin"] == "https://example.com"
