"""Metrics and the access log, on a fake engine."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

PROMPT = {"prompt": "secret code", "stream": False}


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
