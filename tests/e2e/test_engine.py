"""The engine on the real model: batching, KV reuse, supersession, type-ahead, overload."""

from __future__ import annotations

import concurrent.futures
import inspect
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server

CODER = "qwen2.5-coder"


def generate(server: Server, body: dict[str, object], **headers: str) -> dict[str, object]:
    with server.client() as client:
        response = client.post("/api/generate", json={"stream": False, **body}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_two_streams_interleave_and_match_their_solo_answers(server: Server) -> None:
    prompts = ["def fibonacci(n):", "class LinkedList:"]
    options = {"temperature": 0, "num_predict": 40}
    raw = {"postprocess": False, "options": options}  # token by token, nothing held back
    alone = [generate(server, {"prompt": p, **raw})["response"] for p in prompts]
    arrivals: dict[int, list[float]] = {0: [], 1: []}
    texts = ["", ""]

    def stream(index: int) -> None:
        body = {"prompt": prompts[index], "stream": True, **raw}
        with server.client() as client, client.stream("POST", "/api/generate", json=body) as r:
            for line in r.iter_lines():
                piece = json.loads(line)
                arrivals[index].append(time.monotonic())
                texts[index] += piece["response"]

    threads = [threading.Thread(target=stream, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # both produced tokens before either finished
    assert arrivals[0][0] < arrivals[1][-1] and arrivals[1][0] < arrivals[0][-1]
    for solo, together in zip(alone, texts, strict=True):
        assert together[:16] == solo[:16]  # batch shape may change rounding, not the start
        assert abs(len(together) - len(solo)) <= max(20, len(solo) // 2)


def long_source() -> str:
    import asyncio.tasks

    return inspect.getsource(asyncio.tasks)


def test_shared_prefix_comes_from_the_cache(server: Server) -> None:
    """A second request sharing 95% of a ~1000-token prompt evaluates only the rest."""
    source = long_source()[:4200]
    first = generate(server, {"prompt": source, "options": {"num_predict": 1}})
    timings = first["timings"]
    assert isinstance(timings, dict) and 900 <= timings["prompt_tokens"] <= 1300
    second = generate(
        server,
        {
            "prompt": source[: int(len(source) * 0.95)] + "\n# changed",
            "options": {"num_predict": 1},
        },
    )["timings"]
    assert isinstance(second, dict)
    assert second["cached_tokens"] >= 0.9 * second["prompt_tokens"] * 0.95
    assert second["evaluated_tokens"] == second["prompt_tokens"] - second["cached_tokens"]


def test_typing_before_the_suffix_reuses_the_suffix(server: Server) -> None:
    """A FIM prompt whose prefix grew by a few characters does not recompute its suffix."""
    source = long_source()
    cut = source.index("def ", 3000)
    prefix, suffix = source[:cut], source[cut : cut + 3000]
    body = {"model": CODER, "suffix": suffix, "options": {"num_predict": 1}, "postprocess": False}
    generate(server, {**body, "prompt": prefix + "x = 1"})
    again = generate(server, {**body, "prompt": prefix + "x = 12"})["timings"]
    assert isinstance(again, dict)
    assert again["cached_tokens"] >= 0.9 * again["prompt_tokens"]
    assert again["evaluated_tokens"] <= 8 + 16  # the typed text, and the moved chunk's margin


def test_a_newer_request_from_the_same_session_supersedes_the_older(server: Server) -> None:
    session = {"X-Codefill-Session": "editor-1:file.py"}
    lines: list[dict[str, object]] = []
    arrived: list[float] = []
    started = threading.Event()

    def old() -> None:
        body = {
            "prompt": "1, 2, 3,",
            "stream": True,
            "postprocess": False,
            "options": {"num_predict": 2000, "temperature": 0},
        }
        with (
            server.client() as client,
            client.stream("POST", "/api/generate", json=body, headers=session) as r,
        ):
            for line in r.iter_lines():
                lines.append(json.loads(line))
                arrived.append(time.monotonic())
                started.set()

    reader = threading.Thread(target=old)
    reader.start()
    assert started.wait(60)
    sent = time.monotonic()
    newer = generate(server, {"prompt": "def f():", "options": {"num_predict": 4}}, **session)
    reader.join(10)
    assert not reader.is_alive()
    final = lines[-1]
    assert final["done"] is True and final["done_reason"] == "cancelled"
    assert newer["done"] is True
    assert arrived[-1] - sent < 1.0  # the old stream ended at once, not after 2000 tokens


def test_requests_without_a_key_never_supersede(server: Server) -> None:
    body = {"prompt": "def f():", "options": {"num_predict": 12, "temperature": 0}}
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: generate(server, body), range(3)))
    assert all(answer["done_reason"] in {"stop", "length"} for answer in answers)


def test_type_ahead_answers_without_model_work(server: Server) -> None:
    prefix = "# Path: shapes.py\nclass Circle:\n    def __init__(self, radius):\n        self."
    suffix = "\n\n    def area(self):\n        return 3.14159 * self.radius ** 2\n"
    body = {"model": CODER, "suffix": suffix, "options": {"temperature": 0, "num_predict": 16}}
    first = generate(server, {**body, "prompt": prefix})
    completion = str(first["response"])
    assert len(completion) >= 3, completion
    typed = completion[:2]
    second = generate(server, {**body, "prompt": prefix + typed})
    timings = second["timings"]
    assert isinstance(timings, dict)
    assert second["response"] == completion[2:]
    assert timings["typeahead"] is True and timings["evaluated_tokens"] == 0
    assert timings["prompt_ms"] == timings["decode_ms"] == timings["queue_ms"] == 0
    assert first["timings"]["prompt_ms"] > 0  # the earlier one's, not reported again


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One slot and a queue of one, to see overload."""
    running = start_server(tmp_path_factory.mktemp("tiny"), "slots = 1\nmax_queue = 1\n")
    yield running
    stop_server(running)


def test_full_queue_answers_503_with_retry_after(tiny_server: Server) -> None:
    body = {"prompt": "1, 2, 3,", "options": {"num_predict": 300, "temperature": 0}}

    def ask(_: int) -> httpx.Response:
        with tiny_server.client() as client:
            return client.post("/api/generate", json={**body, "stream": False})

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(ask, range(4)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) >= 2 and 503 in statuses
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert "queue" in refused.json()["error"]
