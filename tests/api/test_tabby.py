"""HTTP-layer tests of the Tabby dialect on a fake engine: completions, events, health."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from codefill.api.tabby.schemas import CONTEXT_BUDGET_CHARS
from codefill.engine.base import Job

REPLY = "if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)"
SEGMENTS = {"prefix": "def fib(n):\n    ", "suffix": "\n\nprint(fib(10))\n", "filepath": "f.py"}
BODY = {"language": "python", "segments": SEGMENTS}


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
    with TestClient(fake_app(reply=REPLY)) as test_client:
        yield test_client


def jobs(client: TestClient) -> list[Job]:
    engines = [model.engine for model in client.app.state.manager.loaded()]  # type: ignore[attr-defined]
    return [job for engine in engines for job in engine.jobs]


def metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_tabby_completion_answers_in_tabby_shape_with_the_completion_id(
    client: TestClient,
) -> None:
    response = client.post("/v1/completions", json=BODY)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "choices"}
    assert body["id"] == response.headers["x-codefill-completion-id"]
    assert body["id"].startswith("cmpl-")
    assert body["choices"] == [{"index": 0, "text": REPLY}]


def test_tabby_requests_get_tabby_defaults_and_their_file_in_the_prompt(
    client: TestClient,
) -> None:
    client.post("/v1/completions", json=BODY)
    (job,) = jobs(client)
    assert job.sampling.temperature == pytest.approx(0.1) and job.sampling.max_tokens == 64
    assert (
        job.text
        == "<|fim_prefix|>def fib(n):\n    <|fim_suffix|>\n\nprint(fib(10))\n<|fim_middle|>"
    )


def test_temperature_and_seed_reach_the_engine(client: TestClient) -> None:
    client.post("/v1/completions", json={**BODY, "temperature": 0.0, "seed": 7})
    (job,) = jobs(client)
    assert job.sampling.temperature == 0.0 and job.sampling.seed == 7


def test_crlf_files_get_crlf_back(client: TestClient) -> None:
    segments = {"prefix": "def fib(n):\r\n    ", "suffix": "\r\n"}
    body = client.post("/v1/completions", json={"segments": segments}).json()
    assert body["choices"][0]["text"] == REPLY.replace("\n", "\r\n")
    assert "\r" not in jobs(client)[0].text  # the model saw LF


def test_declarations_and_snippets_go_into_the_prompt_within_the_budget(
    client: TestClient,
) -> None:
    big = "x = 1\n" * (CONTEXT_BUDGET_CHARS // 6 + 1)
    segments = {
        **SEGMENTS,
        "declarations": [{"filepath": "lib.py", "body": "def helper(a):\n    ...\n"}],
        "relevant_snippets_from_changed_files": [
            {"filepath": "big.py", "body": big, "score": 1.0},
            {"filepath": "util.py", "body": "UTIL_CONSTANT = 3\n", "score": 0.5},
        ],
        "relevant_snippets_from_recently_opened_files": [
            {"filepath": "open.py", "body": "OPEN_CONSTANT = 4\n", "score": 0.2}
        ],
        "clipboard": "CLIPBOARD_TEXT",
        "git_url": "https://example.invalid/repo.git",
    }
    assert client.post("/v1/completions", json={**BODY, "segments": segments}).status_code == 200
    prompt = jobs(client)[0].text
    assert prompt.index("def helper(a)") < prompt.index("UTIL_CONSTANT") < prompt.index("def fib")
    assert "OPEN_CONSTANT" in prompt
    assert prompt.index("OPEN_CONSTANT") < prompt.index("CLIPBOARD_TEXT") < prompt.index("def fib")
    assert big not in prompt  # over budget


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"segments": None}, "segments"),
        ({"segments": {"suffix": "x"}}, "segments.prefix"),
        ({"segments": {"prefix": 3}}, "segments.prefix"),
        ({**BODY, "mode": "next_edit_suggestion"}, "mode"),
        ({**BODY, "temperature": 5}, "temperature"),
        (
            {"segments": {"prefix": "x", "declarations": [{"filepath": "a", "body": "b"}] * 65}},
            "segments.declarations",
        ),
    ],
)
def test_bad_tabby_bodies_are_openai_shaped_400s(
    client: TestClient, body: dict[str, Any], param: str
) -> None:
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_a_body_with_a_prompt_is_openai_even_with_segments(client: TestClient) -> None:
    body = client.post(
        "/v1/completions", json={"prompt": "def f(", "segments": SEGMENTS, "max_tokens": 4}
    ).json()
    assert body["object"] == "text_completion" and "text" in body["choices"][0]


def test_the_raw_prompt_of_debug_options_is_passed_verbatim(client: TestClient) -> None:
    raw = "<fim_prefix>def f(<fim_suffix>)<fim_middle>"
    body = {"segments": SEGMENTS, "debug_options": {"raw_prompt": raw}}
    assert client.post("/v1/completions", json=body).status_code == 200
    assert jobs(client)[0].text == raw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_health_names_the_model_and_a_tabby_version(client: TestClient, method: str) -> None:
    state = client.request(method, "/v1/health").json()
    assert state["model"] == "default" and state["chat_model"] is None
    assert state["device"] == "cpu" and state["cuda_devices"] == []
    assert state["version"]["git_describe"].startswith("v0.")
    assert isinstance(state["cpu_count"], int)


def test_server_setting_turns_client_side_telemetry_off(client: TestClient) -> None:
    assert client.get("/v1beta/server_setting").json() == {"disable_client_side_telemetry": True}


def test_view_and_select_events_count_against_the_completion(client: TestClient) -> None:
    completion_id = client.post("/v1/completions", json=BODY).json()["id"]
    event = {"completion_id": completion_id, "choice_index": 0}
    assert client.post("/v1/events", json={**event, "type": "view"}).status_code == 200
    line = client.post("/v1/events?select_kind=line", json={**event, "type": "select"})
    assert line.status_code == 200 and line.text == ""
    labels = 'dialect="tabby",language="Python",model="default"'
    assert metric(client, "codefill_completions_shown_total{" + labels) == 1
    accepted = 'codefill_completions_accepted_total{dialect="tabby",kind="line",language="Python"'
    assert metric(client, accepted) == 1


VIEW = {"type": "view", "choice_index": 0}
SELECT = {"type": "select", "choice_index": 0}


@pytest.mark.parametrize(
    ("query", "event", "status", "reason"),
    [
        ("", {**VIEW, "completion_id": "cmpl-nobody"}, 404, "unknown_id"),
        ("", {**VIEW, "type": "open"}, 400, "malformed"),
        ("", {"type": "view"}, 400, "malformed"),
        ("", {**VIEW, "choice_index": 1}, 400, "malformed"),
        ("?select_kind=all", SELECT, 400, "malformed"),
        ("", {**VIEW, "pad": "x" * 20000}, 413, "oversized"),
    ],
)
def test_bad_events_are_refused_and_counted(
    client: TestClient, query: str, event: dict[str, Any], status: int, reason: str
) -> None:
    completion_id = client.post("/v1/completions", json=BODY).json()["id"]
    body = {"completion_id": completion_id, **event}
    response = client.post("/v1/events" + query, json=body)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    counted = f'codefill_telemetry_events_refused_total{{reason="{reason}",route="/v1/events"}}'
    assert metric(client, counted) == 1


def test_an_event_over_the_server_body_limit_is_counted_too(
    fake_app: Callable[..., Any],
) -> None:
    with TestClient(fake_app(max_body_bytes=1024)) as client:
        response = client.post("/v1/events", content=b"{" + b" " * 2000 + b"}")
        assert response.status_code == 413
        counted = 'codefill_telemetry_events_refused_total{reason="oversized",route="/v1/events"}'
        assert metric(client, counted) == 1


def test_typing_through_a_tabby_completion_is_answered_without_the_model(
    client: TestClient,
) -> None:
    first = client.post("/v1/completions", json=BODY).json()
    typed = {**SEGMENTS, "prefix": SEGMENTS["prefix"] + "if n < 2:\n"}
    second = client.post("/v1/completions", json={**BODY, "segments": typed}).json()
    assert len(jobs(client)) == 1  # type-ahead: the rest of the first answer
    assert second["choices"][0]["text"] == REPLY.removeprefix("if n < 2:\n")
    assert second["id"] != first["id"]
