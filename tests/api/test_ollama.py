"""HTTP-layer tests of /api/generate on a fake engine: framing, fields and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from codefill.engine.fake import FakeTokenizer
from tests.conftest import ANSWER_FIELDS


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app()) as test_client:
        yield test_client


def test_non_streaming_answer_is_one_compact_line_with_the_seed_fields(client: TestClient) -> None:
    response = client.post("/api/generate", json={"prompt": "def f(", "stream": False})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text.endswith("}\n") and response.text.count("\n") == 1
    assert ": " not in response.text.replace('": "', "")  # compact separators
    body = response.json()
    assert set(body) == ANSWER_FIELDS
    assert body["model"] == "default" and body["done"] is True
    assert body["response"] == "hello from the fake engine"
    assert body["done_reason"] == "stop"
    # the fake vocabulary has FIM tokens: three template markers around the prefix
    assert body["input_tokens"] == len("def f(") + 3 and body["output_tokens"] > 0
    assert isinstance(body["total_duration"], float)


def test_absent_stream_is_one_object_in_the_seed_format(client: TestClient) -> None:
    """The seed's curl examples send no ``stream`` and show one object as the answer."""
    response = client.post("/api/generate", content=b'{"prompt": "x"}')
    assert response.headers["content-type"] == "application/json"
    assert response.text.endswith("}\n") and response.text.count("\n") == 1
    assert response.json()["response"] == "hello from the fake engine"


def test_absent_stream_streams_in_the_native_format(client: TestClient) -> None:
    headers = {"user-agent": "ollama-js/0.6.0"}
    response = client.post("/api/generate", content=b'{"prompt": "x"}', headers=headers)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert len(response.text.splitlines()) >= 2


def test_absent_stream_streams_on_chat(client: TestClient) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    response = client.post("/api/chat", json=body)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert len(response.text.splitlines()) >= 2


def test_stream_true_is_clean_ndjson(client: TestClient) -> None:
    response = client.post("/api/generate", content=b'{"prompt": "x", "stream": true}')
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.text.endswith("\n") and "\n\n" not in response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) >= 2
    for line in lines:
        assert {"model", "created_at", "response", "done"} <= set(line)
        assert isinstance(line["created_at"], str)
    assert [line["done"] for line in lines] == [False] * (len(lines) - 1) + [True]
    assert "".join(line["response"] for line in lines) == "hello from the fake engine"
    assert {"input_tokens", "output_tokens", "total_duration", "done_reason"} <= set(lines[-1])


def test_official_client_user_agent_gets_native_metrics(client: TestClient) -> None:
    headers = {"user-agent": "ollama-python/0.6.3 (x86_64 linux) Python/3.11.7"}
    response = client.post("/api/generate", json={"prompt": "x", "stream": False}, headers=headers)
    body = response.json()
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(body[key], int)
    assert isinstance(body["prompt_eval_count"], int) and isinstance(body["eval_count"], int)
    assert body["input_tokens"] == body["prompt_eval_count"]  # the seed's fields stay too


def test_native_switch(fake_app: Callable[..., Any]) -> None:
    with TestClient(fake_app(ollama_format="native")) as client:
        body = client.post("/api/generate", json={"prompt": "x", "stream": False}).json()
    assert isinstance(body["total_duration"], int) and "eval_count" in body


def test_num_predict_gives_length(client: TestClient) -> None:
    request = {"prompt": "x", "stream": False, "options": {"num_predict": 2.0}}
    body = client.post("/api/generate", json=request).json()
    assert body["done_reason"] == "length"


def test_unknown_fields_and_option_keys_are_accepted(client: TestClient) -> None:
    request = {
        "prompt": "x",
        "stream": False,
        "keep_alive": "5m",
        "whatever": [1, 2],
        "options": {"mirostat": 1, "num_thread": 4, "temperature": 0, "stop": "\n"},
    }
    assert client.post("/api/generate", json=request).status_code == 200


def test_empty_prompt_only_loads_the_model(client: TestClient) -> None:
    body = client.post("/api/generate", json={"prompt": "", "stream": False}).json()
    assert body["done"] is True and body["done_reason"] == "load" and body["response"] == ""


def test_template_markers_are_special_and_user_text_is_plain(
    fake_app: Callable[..., Any],
) -> None:
    app = fake_app()
    with TestClient(app) as client:
        prompt = "# Path: a.py\nx = '<|fim_prefix|>' <SUF> ) <MID>"
        client.post("/api/generate", json={"prompt": prompt, "stream": False})
        engine = app.state.manager.loaded()[0].engine
    special = FakeTokenizer().special_token("<|fim_prefix|>")
    tokens = list(engine.jobs[-1].tokens)
    assert tokens[0] == special  # the template's own marker
    assert tokens.count(special) == 1  # the user's copy stayed characters
    assert FakeTokenizer().detokenize(tokens[1:16]) == "x = '<|fim_pref"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"", 400, "missing request body"),
        (b"{not json", 400, "invalid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"stream": false}', 400, "prompt"),
        (b'{"prompt": 12}', 400, "prompt"),
        (b'{"prompt": "x", "stream": "yes"}', 400, "stream"),
        (b'{"prompt": "x", "options": {"temperature": "hot"}}', 400, "options.temperature"),
        (b'{"prompt": "x", "options": {"num_predict": 1.5}}', 400, "options.num_predict"),
        (b'{"prompt": "x", "options": {"top_p": 7}}', 400, "options.top_p"),
        (b'{"prompt": "x", "options": []}', 400, "options"),
        (b'{"prompt": "x <MID> <SUF>"}', 400, "<MID>"),
        (b'{"prompt": "x", "model": "nope"}', 404, "model 'nope' not found"),
        (b'{"prompt": "\xff"}', 400, "UTF-8"),
    ],
)
def test_bad_requests_get_ollama_errors(
    client: TestClient, body: bytes, status: int, needle: str
) -> None:
    response = client.post("/api/generate", content=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert isinstance(error, str) and needle in error


def test_unknown_route_and_wrong_method_in_ollama_shape(client: TestClient) -> None:
    missing = client.post("/api/nothing", json={})
    assert missing.status_code == 404 and isinstance(missing.json()["error"], str)
    wrong = client.get("/api/generate")
    assert wrong.status_code == 405 and isinstance(wrong.json()["error"], str)


def test_chat_streams_by_default_and_answers_whole_on_request(client: TestClient) -> None:
    messages = [{"role": "user", "content": "hi"}]
    streamed = client.post("/api/chat", json={"messages": messages})
    assert streamed.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert all(line["message"]["role"] == "assistant" for line in lines)
    whole = client.post("/api/chat", json={"messages": messages, "stream": False}).json()
    assert whole["message"]["content"] == "hello from the fake engine"
    load = client.post("/api/chat", json={"messages": [], "stream": False}).json()
    assert load["done_reason"] == "load"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompt": "x", "raw": True, "template": "{{ .Prompt }}"}, "raw"),
        ({"prompt": "a <SUF> b", "suffix": "c"}, "suffix"),
        ({"prompt": "x", "template": "{{ if .Suffix }}{{ end }}"}, "template"),
        ({"prompt": "x", "keep_alive": "forever"}, "duration"),
        ({"prompt": "x", "keep_alive": True}, "keep_alive"),
    ],
)
def test_generate_refusals(client: TestClient, body: dict[str, Any], needle: str) -> None:
    response = client.post("/api/generate", json=body)
    assert response.status_code == 400 and needle in response.json()["error"]


def test_raw_suffix_is_ignored_and_templates_apply(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        client.post("/api/generate", json={"prompt": "P", "suffix": "S", "raw": True})
        client.post("/api/generate", json={"prompt": "P", "template": "[{{ .Prompt }}]"})
        client.post("/api/generate", json={"prompt": "P", "suffix": "S"})
        engine = app.state.manager.loaded()[0].engine
    texts = [job.text for job in engine.jobs]
    assert texts[0] == "P"  # raw: verbatim, suffix ignored as in Ollama
    assert texts[1] == "[P]"
    assert texts[2] == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"


def test_truncation_is_reported(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        body = {
            "prompt": "a" * 3000,
            "suffix": "b" * 3000,
            "stream": False,
            "options": {"num_ctx": 1000, "num_predict": 100},
        }
        answer = client.post("/api/generate", json=body).json()
        job = app.state.manager.loaded()[0].engine.jobs[-1]
    assert answer["timings"]["truncated_tokens"] > 0
    assert len(job.tokens) < 1000 - 100
    text = job.text
    # the markers survive; the prefix lost its start, the suffix its end, the prefix kept more
    assert text.startswith("<|fim_prefix|>a") and text.endswith("b<|fim_middle|>")
    assert text.count("a") > text.count("b") > 0


@pytest.mark.parametrize("model", ["", None])
def test_an_empty_or_absent_model_is_the_default_model(
    client: TestClient, model: str | None
) -> None:
    body: dict[str, Any] = {"prompt": "x", "stream": False}
    if model is not None:
        body["model"] = model
    answer = client.post("/api/generate", json=body)
    assert answer.status_code == 200 and answer.json()["model"] == "default"
    chat = client.post("/api/chat", json={**body, "messages": [{"role": "user", "content": "x"}]})
    assert chat.status_code == 200 and chat.json()["model"] == "default"


def test_every_final_answer_carries_the_seed_and_ollama_fields(client: TestClient) -> None:
    body = client.post("/api/generate", json={"prompt": "def f(", "stream": False}).json()
    assert isinstance(body["total_duration"], float)  # seconds, as the seed shows
    for key in ("load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(body[key], int)
    assert body["prompt_eval_count"] == body["input_tokens"]
    assert body["eval_count"] == body["output_tokens"] > 0
    assert isinstance(body["context"], list) and len(body["context"]) > body["input_tokens"]
    raw = client.post("/api/generate", json={"prompt": "x", "raw": True, "stream": False})
    assert "context" not in raw.json()  # Ollama sends no context for raw prompts


def test_final_answers_say_what_post_processing_removed(fake_app: Callable[..., Any]) -> None:
    reply = "    return 1\n\ndef other():\n    pass\n"
    with TestClient(fake_app(reply=reply)) as client:
        body = {"prompt": "# Language: Python\ndef f():\n", "stream": False}
        cut = client.post("/api/generate", json=body).json()
        whole = client.post("/api/generate", json={**body, "postprocess": False}).json()
        message = {"role": "user", "content": "hi"}
        chat = client.post("/api/chat", json={"messages": [message], "stream": False}).json()
    assert cut["response"] == "    return 1"
    assert cut["postprocess"]["rule"] == "scope" and cut["postprocess"]["reason"]
    assert cut["postprocess"]["removed"].startswith("\n\ndef other():")
    assert whole["postprocess"] is None and "postprocess" not in chat
