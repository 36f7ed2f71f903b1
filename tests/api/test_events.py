"""HTTP-layer tests of codefill's own telemetry route, POST /api/events, on a fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

PROMPT = "# Language: Python\ndef add(a, b):\n    <SUF>\n<MID>"


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
    with TestClient(fake_app(reply="return a + b")) as test_client:
        yield test_client


def completion_id(client: TestClient) -> str:
    answer = client.post("/api/generate", json={"prompt": PROMPT, "stream": False})
    return answer.headers["x-codefill-completion-id"]


def samples(client: TestClient, name: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.removeprefix(name)] = float(value)
    return found


def test_the_playground_contract_counts_view_accept_and_dismiss(client: TestClient) -> None:
    first, second = completion_id(client), completion_id(client)
    for body in (
        {"completion_id": first, "event": "view", "kind": "whole"},  # as the playground sends
        {"completion_id": first, "event": "accept", "kind": "line"},
        {"completion_id": second, "event": "view"},
        {"completion_id": second, "event": "dismiss", "kind": "whole"},
    ):
        response = client.post("/api/events", json=body)
        assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == {
        "completion_id": second,
        "event": "dismiss",
        "kind": None,
        "model": "default",
        "language": "Python",
        "dialect": "ollama",
    }
    labels = '{dialect="ollama",language="Python",model="default"}'
    assert samples(client, "codefill_completions_shown_total") == {labels: 2}
    assert samples(client, "codefill_completions_dismissed_total") == {labels: 1}
    accepted = samples(client, "codefill_completions_accepted_total")
    assert accepted == {'{dialect="ollama",kind="line",language="Python",model="default"}': 1}
    ratio = samples(client, "codefill_completion_acceptance_ratio_count")
    assert ratio == {'{language="Python",model="default"}': 2}


def test_openai_answers_are_named_by_their_id(client: TestClient) -> None:
    answer = client.post("/v1/completions", json={"prompt": "def f(", "max_tokens": 4}).json()
    event = {"completion_id": answer["id"], "event": "accept"}
    labels = client.post("/api/events", json=event).json()
    assert labels["dialect"] == "openai" and labels["kind"] == "whole"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"completion_id": "cmpl-nobody", "event": "view"}, 404, "unknown_id"),
        ({"completion_id": "{id}", "event": "show"}, 400, "malformed"),
        ({"completion_id": "{id}", "event": "accept", "kind": "all"}, 400, "malformed"),
        ({"completion_id": "{id}", "event": "view", "choice_index": 0}, 400, "malformed"),
        ({"event": "view"}, 400, "malformed"),
        ({"completion_id": "{id}", "event": "view", "pad": "x" * 20000}, 413, "oversized"),
    ],
)
def test_bad_events_are_ollama_shaped_4xx_and_counted(
    client: TestClient, body: dict[str, Any], status: int, reason: str
) -> None:
    known = completion_id(client)
    body = {key: known if value == "{id}" else value for key, value in body.items()}
    response = client.post("/api/events", json=body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert not response.json()["error"].startswith("no route")  # the playground keeps sending
    refused = samples(client, "codefill_telemetry_events_refused_total")
    assert refused == {f'{{reason="{reason}",route="/api/events"}}': 1}


def test_events_need_the_api_key_like_everything_else(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(api_keys=["k1"])) as client:
        event = {"completion_id": "cmpl-x", "event": "view"}
        assert client.post("/api/events", json=event).status_code == 401
        headers = {"Authorization": "Bearer k1"}
        assert client.post("/api/events", json=event, headers=headers).status_code == 404
        refused = client.get("/metrics", headers=headers).text
        assert 'reason="unauthorized",route="/api/events"} 1.0' in refused
