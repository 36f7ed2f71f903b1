"""A client's time budget (llama.vim's ``t_max_predict_ms``), on the real coder model: as in
llama.cpp's server, a spent budget ends the completion at the end of a line, never inside
one. A budget of 1 ms is spent by the first token, so each answer ends with the first token
that holds a newline (the function's body runs for several lines, so the model does not
stop by itself first)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Server

CODER = "qwen2.5-coder"
PREFIX = "def fibonacci(n):\n"
OWN = {"t_max_predict_ms": 1, "postprocess": False, "token_healing": False, "model": CODER}


def _ollama(answer: dict[str, Any]) -> tuple[str, str]:
    return answer["response"], answer["done_reason"]


def _openai(answer: dict[str, Any]) -> tuple[str, str]:
    return answer["choices"][0]["text"], answer["choices"][0]["finish_reason"]


def _llamacpp(answer: dict[str, Any]) -> tuple[str, str]:
    return answer["content"], "length" if answer["stop_type"] == "limit" else answer["stop_type"]


@pytest.mark.parametrize(
    ("route", "body", "read"),
    [
        ("/infill", {"input_prefix": PREFIX, "n_predict": 64, "temperature": 0}, _llamacpp),
        (
            "/api/generate",
            {"prompt": PREFIX, "stream": False, "options": {"num_predict": 64, "temperature": 0}},
            _ollama,
        ),
        ("/v1/completions", {"prompt": PREFIX, "max_tokens": 64, "temperature": 0}, _openai),
    ],
    ids=["infill", "ollama", "openai"],
)
def test_a_spent_budget_ends_at_a_newline(
    server: Server, route: str, body: dict[str, Any], read: Any
) -> None:
    with server.client() as client:
        response = client.post(route, json={**body, **OWN})
    assert response.status_code == 200, response.text
    text, finish = read(response.json())
    assert finish == "length", response.text
    assert "\n" in text, f"the budget ended the completion inside a line: {text!r}"
    # the first line is whole; after its newline comes only the rest of that token
    assert text.split("\n", 1)[1].strip(" \t\n") == "", text
