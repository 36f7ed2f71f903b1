"""``POST /api/render`` on a fake engine: the answer's shape and Ollama-shaped refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app()) as test_client:
        yield test_client


def test_render_answers_the_prompt_and_its_size(client: TestClient) -> None:
    body = {"model": "default", "prompt": "# Language: Python\ndef f( <SUF> ) <MID>"}
    response = client.post("/api/render", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"model", "prompt", "prompt_tokens", "truncated_tokens"}
    assert answer["model"] == "default" and answer["truncated_tokens"] == 0
    assert "def f(" in answer["prompt"] and ")" in answer["prompt"]
    assert "# Language" not in answer["prompt"]  # the header is parsed, not passed on
    generated = client.post("/api/generate", json={**body, "stream": False}).json()
    assert answer["prompt_tokens"] == generated["input_tokens"]


def test_render_takes_a_generate_body_as_it_is(client: TestClient) -> None:
    """The playground sends one body to both routes: fields render does not use are ignored."""
    body = {"prompt": "x = ", "suffix": "\n", "stream": True, "options": {"num_predict": 4}}
    response = client.post("/api/render", json=body)
    assert response.status_code == 200 and response.json()["prompt_tokens"] > 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "missing required field 'prompt'"),
        ({"prompt": 3}, 400, "invalid value for 'prompt'"),
        ({"prompt": "x", "model": "nope"}, 404, "model 'nope' not found"),
        ({"prompt": "a <SUF> b <SUF>"}, 400, "more than once"),
        ({"prompt": "a <SUF> b", "suffix": "c"}, 400, "not both"),
        ({"prompt": "x", "raw": True, "template": "{code_prefix}"}, 400, "raw mode"),
        ({"prompt": "x", "options": {"num_ctx": 0}}, 400, "options.num_ctx"),
    ],
)
def test_bad_input_gets_an_ollama_shaped_4xx(
    client: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    response = client.post("/api/render", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert isinstance(error, str) and message in error


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    response = client.post("/api/render", content=b"prompt=x")
    assert response.status_code == 400 and "invalid JSON" in response.json()["error"]
