"""API keys, the body limit and CORS, on a fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

KEYS = ("key-one", "key-two")
PROMPT = {"prompt": "secret code", "stream": False}


@pytest.fixture
def locked(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
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


def test_cors_is_off_unless_configured(fake_app: Callable[..., Any]) -> None:
    origin = {"origin": "https://example.com"}
    with TestClient(fake_app()) as client:
        assert "access-control-allow-origin" not in client.get("/api/tags", headers=origin).headers
    with TestClient(fake_app(cors_origins=["https://example.com"])) as client:
        allowed = client.get("/api/tags", headers=origin).headers
        assert allowed["access-control-allow-origin"] == "https://example.com"
