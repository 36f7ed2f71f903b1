"""Tabby's API on the real server: /v1/completions shared with OpenAI, events, metrics."""

from __future__ import annotations

import httpx
import openai

from tests.conftest import Server

SEGMENTS = {"prefix": "def add(a, b):\n    return a", "suffix": "\n", "filepath": "calc.py"}


def counter(server: Server, name: str, labels: str) -> float:
    for line in httpx.get(f"{server.url}/metrics", timeout=30).text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_openai_and_tabby_share_v1_completions_on_one_server(server: Server) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-none")
    legacy = client.completions.create(model="default", prompt="def add(a, b):", max_tokens=8)
    assert legacy.object == "text_completion" and legacy.choices[0].text is not None
    with server.client() as http:
        tabby = http.post("/v1/completions", json={"language": "python", "segments": SEGMENTS})
    assert tabby.status_code == 200
    body = tabby.json()
    assert set(body) == {"id", "choices"} and body["choices"][0]["index"] == 0
    assert isinstance(body["choices"][0]["text"], str)
    assert body["id"] == tabby.headers["x-codefill-completion-id"] != legacy.id


def test_events_about_a_tabby_completion_reach_the_metrics(server: Server) -> None:
    labels = 'dialect="tabby",language="Python",model="default"'
    accepted = 'dialect="tabby",kind="word",language="Python",model="default"'
    shown_before = counter(server, "codefill_completions_shown_total", labels)
    accepted_before = counter(server, "codefill_completions_accepted_total", accepted)
    with server.client() as http:
        completion_id = http.post("/v1/completions", json={"segments": SEGMENTS}).json()["id"]
        event = {"completion_id": completion_id, "choice_index": 0}
        assert http.post("/v1/events", json={**event, "type": "view"}).status_code == 200
        native = {"completion_id": completion_id, "event": "accept", "kind": "word"}
        assert http.post("/api/events", json=native).json()["dialect"] == "tabby"
        unknown = http.post("/v1/events", json={**event, "completion_id": "cmpl-0", "type": "view"})
        assert unknown.status_code == 404 and unknown.json()["error"]["message"]
    assert counter(server, "codefill_completions_shown_total", labels) == shown_before + 1
    assert counter(server, "codefill_completions_accepted_total", accepted) == accepted_before + 1
