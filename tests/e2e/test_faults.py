"""Broken model files, API keys and SIGTERM, on real servers."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import openai
import pytest

from codefill.builtin import SMOLLM2, resolve_builtin
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("faults")
    real = Path(resolve_builtin(SMOLLM2, workdir))
    with real.open("rb") as source:
        (workdir / "truncated.gguf").write_bytes(source.read(5_000_000))
    (workdir / "not-gguf.gguf").write_bytes(b"definitely not a model" * 100)
    config = "".join(
        f'[[models]]\nname = "{name}"\npath = "{file}"\n\n'
        for name, file in [
            ("truncated", "truncated.gguf"),
            ("not-gguf", "not-gguf.gguf"),
            ("missing", "missing.gguf"),
        ]
    )
    running = start_server(workdir, config)
    yield running
    stop_server(running)


@pytest.mark.parametrize(
    ("model", "reason"),
    [("truncated", "truncated"), ("not-gguf", "not a GGUF file"), ("missing", "does not exist")],
)
def test_a_broken_model_fails_alone_with_a_clear_message(
    faulty: Server, model: str, reason: str
) -> None:
    with faulty.client() as client:
        broken = client.post("/api/generate", json={"model": model, "prompt": "x", "stream": False})
        assert broken.status_code == 500 and reason in broken.json()["error"]
        assert broken.headers["x-should-retry"] == "false"
        fine = client.post(
            "/api/generate",
            json={"prompt": "def f():", "stream": False, "options": {"num_predict": 4}},
        )
        assert fine.status_code == 200 and fine.json()["done"] is True
        assert client.get("/health").status_code == 200


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("keys"),
        'api_keys = ["team-key-1"]\n',
        env={"CODEFILL_API_KEYS": "team-key-1,team-key-2"},
    )
    yield running
    stop_server(running)


def test_api_keys_with_the_official_clients(locked: Server) -> None:
    assert httpx.get(locked.url + "/health").status_code == 200
    refused = httpx.post(locked.url + "/api/generate", json={"prompt": "x"})
    assert refused.status_code == 401 and "API key" in refused.json()["error"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=locked.url, api_key="wrong", max_retries=0).models.list()
    good = openai.OpenAI(base_url=locked.url + "/v1", api_key="team-key-2")
    assert {model.id for model in good.models.list()} >= {"default"}
    with pytest.raises(ollama.ResponseError) as caught:
        ollama.Client(host=locked.url).list()
    assert caught.value.status_code == 401
    client = ollama.Client(host=locked.url, headers={"Authorization": "Bearer team-key-2"})
    answer = client.generate(model="default", prompt="x", options={"num_predict": 2})
    assert answer.done


def test_sigterm_during_a_stream_ends_it_cleanly_and_exits_zero(tmp_path: Path) -> None:
    running = start_server(tmp_path, "shutdown_grace_seconds = 1\n")
    lines: list[dict[str, object]] = []
    started = threading.Event()

    def read() -> None:
        body = {
            "prompt": "1, 2, 3,",
            "stream": True,
            "postprocess": False,
            "options": {"num_predict": 3000, "temperature": 0},
        }
        with running.client() as client, client.stream("POST", "/api/generate", json=body) as r:
            for line in r.iter_lines():
                lines.append(json.loads(line))
                started.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert started.wait(60)
    running.process.send_signal(signal.SIGTERM)
    reader.join(30)
    assert not reader.is_alive()
    assert running.process.wait(timeout=30) == 0
    final = lines[-1]
    assert final["done"] is True and final["done_reason"] == "cancelled"
    assert "total_duration" in final
