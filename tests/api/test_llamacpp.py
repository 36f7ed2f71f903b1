"""HTTP-layer tests of llama.cpp's /infill on a fake engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

BODY = {"input_prefix": "def f():\n    ", "input_suffix": "\n", "n_predict": 8}


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app(reply="return 1")) as test_client:
        yield test_client


def test_whole_answer_in_llama_cpp_shape(client: TestClient) -> None:
    response = client.post("/infill", json=BODY)
    assert response.status_code == 200
    assert response.text.startswith('{"content":"')  # compact, as llama.vim matches it
    body = response.json()
    assert body["content"] == "return 1" and body["stop"] is True
    assert body["stop_type"] in {"eos", "limit"} and body["truncated"] is False
    assert set(body["timings"]) >= {"prompt_n", "prompt_ms", "predicted_n", "predicted_ms"}


def test_response_fields_flatten_paths(client: TestClient) -> None:
    fields = ["content", "timings/prompt_n", "tokens_cached", "no/such"]
    body = client.post("/infill", json={**BODY, "response_fields": fields}).json()
    assert set(body) == {"content", "timings/prompt_n", "tokens_cached"}


def test_stream_ends_with_a_stop_event(client: TestClient) -> None:
    response = client.post("/infill", json={**BODY, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(e.removeprefix("data: ")) for e in response.text.split("\n\n") if e]
    assert events[-1]["stop"] is True
    assert "".join(e["content"] for e in events) == "return 1"


def test_warm_up_with_n_predict_zero_returns_no_text(client: TestClient) -> None:
    body = client.post("/infill", json={**BODY, "n_predict": 0}).json()
    assert body["content"] == "" and body["tokens_predicted"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"input_prefix": 1},
        {"input_extra": [{"filename": 3}]},
        {"n_predict": -2},
        {"stop": "x"},
        {"temperature": "hot"},
    ],
)
def test_bad_input_is_a_400_in_openai_shape(client: TestClient, bad: dict[str, Any]) -> None:
    response = client.post("/infill", json={**BODY, **bad})
    assert response.status_code == 400
    assert isinstance(response.json()["error"]["message"], str)


def test_unknown_model_is_404(client: TestClient) -> None:
    response = client.post("/infill", json={**BODY, "model": "ghost"})
    assert response.status_code == 404 and "ghost" in response.json()["error"]["message"]


def test_llama_vims_empty_model_is_the_default_model(client: TestClient) -> None:
    """llama.vim sends ``"model": ""`` unless ``model_fim`` is set; llama.cpp ignores it."""
    response = client.post("/infill", json={**BODY, "model": ""})
    assert response.status_code == 200 and response.json()["model"] == "default"
