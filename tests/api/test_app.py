"""The assembled app: limits that hold in every dialect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

PROMPT = {"prompt": "secret code", "stream": False}


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
