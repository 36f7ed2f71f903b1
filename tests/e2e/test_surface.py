"""The rest of the Ollama and OpenAI surface, through the official clients."""

from __future__ import annotations

import datetime
import json
import threading
import time

import httpx
import ollama
import openai
import pytest

from tests.conftest import Server

CODER = "qwen2.5-coder"


def test_ollama_list_show_ps(server: Server) -> None:
    client = ollama.Client(host=server.url)
    names = {model.model for model in client.list().models}
    assert {"default", "templated", CODER} <= names
    shown = client.show(CODER)
    assert shown.template and ".Suffix" in shown.template
    assert shown.capabilities and "insert" in shown.capabilities
    assert shown.parameters and "num_ctx" in shown.parameters
    assert shown.modelinfo is not None
    plain = client.show("default")
    assert plain.capabilities == ["completion"] and ".Suffix" not in (plain.template or "")
    client.generate(model=CODER, prompt="")  # loads it
    running = {model.model for model in client.ps().models}
    assert {"default", CODER} <= running


def test_show_reads_the_file_without_loading_the_model(server: Server) -> None:
    """llm-ollama describes every listed model; describing must not load them all."""

    def running(client: httpx.Client) -> set[str]:
        return {m["name"] for m in client.get("/api/ps").json()["models"]}

    with server.client() as client:
        client.post("/api/generate", json={"model": "coder-copy", "prompt": "", "keep_alive": 0})
        deadline = time.monotonic() + 30
        while "coder-copy" in running(client) and time.monotonic() < deadline:
            time.sleep(0.2)
        read = client.post("/api/show", json={"model": "coder-copy"}).json()
        assert "coder-copy" not in running(client)
        client.post("/api/generate", json={"model": "coder-copy", "prompt": ""})
        loaded = client.post("/api/show", json={"model": "coder-copy"}).json()
        client.post("/api/generate", json={"model": "coder-copy", "prompt": "", "keep_alive": 0})
    for key in ("template", "capabilities", "parameters", "model_info", "details"):
        assert read[key] == loaded[key], key
    assert read["capabilities"] == ["completion", "tools", "insert"]
    assert "num_ctx 4096" in read["parameters"]  # trained 32768; the built-in coders get 4096


def test_show_accepts_the_older_name_field(server: Server) -> None:
    with server.client() as client:
        body = client.post("/api/show", json={"name": CODER}).json()
    assert "model_info" in body and "insert" in body["capabilities"]


def test_tags_fields_for_open_webui_and_tabby(server: Server) -> None:
    with server.client() as client:
        models = client.get("/api/tags").json()["models"]
        version = client.get("/api/version").json()
        root = client.get("/")
        head = client.head("/")
    for model in models:
        assert model["name"] == model["model"]
        assert isinstance(model["size"], int)
        datetime.datetime.fromisoformat(model["modified_at"])
    assert isinstance(version["version"], str)
    assert root.text == "Ollama is running" and head.status_code == 200


def test_ollama_chat(server: Server) -> None:
    client = ollama.Client(host=server.url)
    messages = [{"role": "user", "content": "Say hello."}]
    whole = client.chat(model="default", messages=messages, options={"num_predict": 16})
    assert whole.message.role == "assistant" and whole.message.content
    assert whole.done and isinstance(whole.eval_count, int)
    parts = list(
        client.chat(model="default", messages=messages, options={"num_predict": 16}, stream=True)
    )
    assert parts[-1].done and all(not part.done for part in parts[:-1])
    assert "".join(part.message.content or "" for part in parts)


def test_chat_streams_by_default(server: Server) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "options": {"num_predict": 8}}
    with server.client() as client:
        response = client.post("/api/chat", json=body)
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[-1]["done"] is True and lines[-1]["message"]["role"] == "assistant"


def test_ollama_generate_with_suffix(server: Server) -> None:
    client = ollama.Client(host=server.url)
    answer = client.generate(
        model=CODER,
        prompt="def is_even(n):\n    ",
        suffix="\n\nprint(is_even(4))\n",
        options={"temperature": 0, "num_predict": 32},
    )
    assert answer.done and answer.response.strip()
    assert "print(is_even(4))" not in answer.response


def test_openai_models_list(server: Server) -> None:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="x")
    ids = {model.id for model in client.models.list()}
    assert {"default", CODER} <= ids
    with server.client() as http:
        assert http.get("/models").json()["object"] == "list"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/generate", {"model": "ghost", "prompt": "x"}),
        ("POST", "/api/chat", {"model": "ghost", "messages": [{"role": "user", "content": "x"}]}),
        ("POST", "/api/show", {"model": "ghost"}),
        ("POST", "/v1/completions", {"model": "ghost", "prompt": "x"}),
        ("POST", "/completions", {"model": "ghost", "prompt": "x"}),
        ("POST", "/infill", {"model": "ghost", "input_prefix": "x"}),
        ("POST", "/v1/chat/completions", {"model": "ghost", "messages": [{"role": "user"}]}),
    ],
)
def test_unknown_model_is_404_everywhere(
    server: Server, method: str, path: str, body: dict[str, object]
) -> None:
    with server.client() as client:
        response = client.request(method, path, json=body)
    assert response.status_code == 404
    assert "ghost" in json.dumps(response.json())


def test_loading_a_model_does_not_stall_a_running_stream(server: Server) -> None:
    """While `coder-copy` loads (seconds), the default model's stream keeps producing lines.

    Post-processing is off so that every token is a line of its own (with it on, this
    one-line answer would arrive whole at the end).
    """
    stamps: list[float] = []
    request = {
        "prompt": "1, 2, 3, 4,",
        "stream": True,
        "postprocess": False,
        "options": {"num_predict": 400, "temperature": 0},
    }

    def stream() -> None:
        with server.client() as client, client.stream("POST", "/api/generate", json=request) as r:
            for _ in r.iter_lines():
                stamps.append(time.monotonic())

    reader = threading.Thread(target=stream)
    reader.start()
    deadline = time.monotonic() + 60
    while len(stamps) < 3 and reader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(stamps) >= 3, "the stream never got going"
    with server.client() as client:
        load_started = time.monotonic()
        loaded = client.post("/api/generate", json={"model": "coder-copy", "prompt": ""})
        load_ended = time.monotonic()
        client.post("/api/generate", json={"model": "coder-copy", "prompt": "", "keep_alive": 0})
    reader.join()
    assert loaded.json()["done_reason"] == "load"
    during = [t for t in stamps if load_started < t < load_ended]
    assert load_ended - load_started > 0.2, "the load was too quick to tell anything"
    assert during, "no stream line arrived while the other model loaded"


def test_keep_alive_zero_unloads(server: Server) -> None:
    with server.client() as client:
        client.post("/api/generate", json={"model": "templated", "prompt": ""})
        assert "templated" in {m["name"] for m in client.get("/api/ps").json()["models"]}
        answer = client.post(
            "/api/generate", json={"model": "templated", "prompt": "", "keep_alive": 0}
        ).json()
        assert answer["done_reason"] == "unload"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "templated" not in {m["name"] for m in client.get("/api/ps").json()["models"]}:
                break
            time.sleep(0.1)
        assert "templated" not in {m["name"] for m in client.get("/api/ps").json()["models"]}
        # the next request loads it again
        again = client.post(
            "/api/generate",
            json={
                "model": "templated",
                "prompt": "x",
                "stream": False,
                "options": {"num_predict": 2},
            },
        )
    assert again.status_code == 200


def test_keep_alive_accepts_strings_and_numbers(server: Server) -> None:
    with server.client() as client:
        for keep_alive in ("5m", 1800, -1):
            body = {"prompt": "", "keep_alive": keep_alive}
            assert client.post("/api/generate", json=body).status_code == 200
        bad = client.post("/api/generate", json={"prompt": "", "keep_alive": "soon"})
    assert bad.status_code == 400 and "duration" in bad.json()["error"]
