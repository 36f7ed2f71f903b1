"""Capabilities as Ollama answers them, on a fake engine: ``tools`` to a model whose chat
template has no place for them and ``suffix`` to a model without fill-in-the-middle are
400s in the route's dialect, and ``/api/show`` lists what a model can do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

TOOLS = [{"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}]
MESSAGES = [{"role": "user", "content": "What time is it?"}]
# "plain" has no FIM template (prefix only); the fake engine's chat template has no tools
MODELS = [
    {"name": "default", "path": "/fake.gguf"},
    {"name": "plain", "path": "/fake.gguf", "template": "{code_prefix}"},
]


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app(models=MODELS)) as test_client:
        yield test_client


def test_show_lists_capabilities_as_ollama(client: TestClient) -> None:
    fim = client.post("/api/show", json={"model": "default"}).json()["capabilities"]
    plain = client.post("/api/show", json={"model": "plain"}).json()["capabilities"]
    assert (fim, plain) == (["completion", "insert"], ["completion"])


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/chat", {"messages": MESSAGES, "tools": TOOLS, "stream": False}),
        ("/v1/chat/completions", {"model": "default", "messages": MESSAGES, "tools": TOOLS}),
    ],
)
def test_tools_to_a_model_without_them_is_refused(
    client: TestClient, route: str, body: dict[str, Any]
) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    message = error if isinstance(error, str) else error["message"]
    assert message == "default does not support tools"


def test_no_tools_or_an_empty_list_is_plain_chat(client: TestClient) -> None:
    for tools in (None, []):
        body = {"messages": MESSAGES, "tools": tools, "stream": False}
        assert client.post("/api/chat", json=body).status_code == 200


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/generate", {"model": "plain", "prompt": "x = ", "suffix": "\n", "stream": False}),
        ("/v1/completions", {"model": "plain", "prompt": "x = ", "suffix": "\n"}),
    ],
)
def test_suffix_to_a_model_without_fim_is_refused(
    client: TestClient, route: str, body: dict[str, Any]
) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    message = error if isinstance(error, str) else error["message"]
    assert message == "plain does not support insert"


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "x = <SUF>\n<MID>"},  # the seed's form works for every model
        {"prompt": "<PRE> x =  <SUF>\n <MID>"},
        {"prompt": "x = ", "suffix": ""},  # an empty suffix asks for nothing (as in Ollama)
        {"prompt": "x = ", "suffix": "\n", "raw": True},  # raw ignores the suffix
        {"prompt": "x = ", "suffix": "\n", "template": "{{ .Prompt }}|{{ .Suffix }}"},
    ],
)
def test_what_a_model_without_fim_still_takes(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/api/generate", json={"model": "plain", "stream": False, **body})
    assert response.status_code == 200, response.text
