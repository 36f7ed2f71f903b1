"""codefill in front of two real upstream replicas: FIM, chat, affinity, cancellation, failover.

The upstreams are llama-cpp-python's OpenAI-compatible server on the embedded model, one
thread each. Which replica served a request is read from each one's uvicorn access log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from codefill.prompt.fim import family_named
from tests.conftest import Server
from tests.remote.conftest import FAMILY, Upstream

FIM_PROMPT = "# Language: Python\ndef add(a, b): <SUF>\n\nprint(add(1, 2)) <MID>"
GREEDY = {"temperature": 0, "num_predict": 16}


def family_stops() -> list[str]:
    family = family_named(FAMILY)
    assert family is not None
    return list(family.stops)


def rendered(server: Server, prompt: str) -> str:
    """What codefill sends upstream for ``prompt``, from ``codefill render``."""
    command = [sys.executable, "-m", "codefill", "render", "--config", str(server.config)]
    done = subprocess.run(command, input=prompt, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def direct(upstream: Upstream, path: str, body: dict[str, Any]) -> str:
    """A greedy answer straight from one replica, bypassing codefill."""
    answer = httpx.post(f"{upstream.url}{path}", json=body, timeout=120).json()
    choice = answer["choices"][0]
    return str(choice["message"]["content"] if "message" in choice else choice["text"])


def ndjson_text(response: httpx.Response) -> str:
    lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[-1]["done"] is True, lines[-1]
    return "".join(line["response"] for line in lines)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def model_stats(server: Server) -> dict[str, int]:
    stats: dict[str, int] = httpx.get(f"{server.url}/health").json()["models"]["default"]
    return stats


def test_fim_is_rendered_by_codefill_and_sent_as_a_plain_prompt(
    remote: Server, upstreams: list[Upstream]
) -> None:
    body = {"prompt": FIM_PROMPT, "options": GREEDY, "postprocess": False}
    prompt = rendered(remote, FIM_PROMPT)
    assert prompt.startswith("<|fim_prefix|>def add(a, b):<|fim_suffix|>")
    expected = direct(
        upstreams[0],
        "/v1/completions",
        {"prompt": prompt, "max_tokens": 16, "temperature": 0, "stop": family_stops()},
    )
    assert expected
    with remote.client() as client:
        whole = client.post("/api/generate", json={**body, "stream": False}).json()
        with client.stream("POST", "/api/generate", json={**body, "stream": True}) as response:
            streamed = ndjson_text(response)
    assert whole["response"] == streamed == expected
    assert whole["done"] is True and 0 < whole["output_tokens"] <= 16


def test_chat_goes_to_the_upstream_chat_endpoint(remote: Server, upstreams: list[Upstream]) -> None:
    messages = [{"role": "user", "content": "Name a prime number."}]
    direct_body = {"messages": messages, "max_tokens": 12, "temperature": 0, "stop": family_stops()}
    # A replica that has just seen the prompt answers from its prompt cache, which can tip a
    # greedy choice; so what the replicas answer is collected fresh and cached, from both.
    expected = {
        direct(upstream, "/v1/chat/completions", direct_body)
        for upstream in upstreams
        for _ in range(2)
    }
    before = sum(u.requests("/v1/chat/completions") for u in upstreams)
    body = {"model": "default", "messages": messages, "max_tokens": 12, "temperature": 0}
    with remote.client() as client:
        whole = client.post("/v1/chat/completions", json=body).json()
        pieces = []
        with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    for choice in json.loads(line[6:])["choices"]:
                        pieces.append(choice["delta"].get("content") or "")
    assert whole["choices"][0]["message"]["content"] in expected
    assert "".join(pieces) in expected
    assert sum(u.requests("/v1/chat/completions") for u in upstreams) == before + 2
    assert whole["usage"]["completion_tokens"] > 0


def test_a_session_stays_on_one_replica(remote: Server, upstreams: list[Upstream]) -> None:
    def send(count: int, session: str | None, tag: str) -> list[int]:
        before = [u.requests() for u in upstreams]
        headers = {"X-Codefill-Session": session} if session else {}
        with remote.client(headers=headers) as client:
            for i in range(count):  # distinct prompts: nothing is served by type-ahead
                prompt = f"def {tag}_{i}(x): <SUF>\n<MID>"
                body = {"prompt": prompt, "stream": False, "options": {"num_predict": 4}}
                assert client.post("/api/generate", json=body).status_code == 200
        wait_for(lambda: sum(u.requests() for u in upstreams) >= sum(before) + count, 10, "logs")
        return [u.requests() - b for u, b in zip(upstreams, before, strict=True)]

    for session in ("alpha", "beta", "gamma"):
        assert sorted(send(4, session, session)) == [0, 4], session
    spread = send(4, None, "anonymous")
    assert min(spread) > 0, spread  # without a session: least outstanding, ties in turn


def test_a_client_that_leaves_closes_the_upstream_request(
    remote: Server, upstreams: list[Upstream]
) -> None:
    before = sum(u.disconnects() for u in upstreams)
    body = {
        "prompt": "def long_story(): <SUF> <MID>",
        "stream": True,
        "options": {"num_predict": 32},
    }
    with (
        remote.client() as client,
        client.stream("POST", "/api/generate", json={**body, "postprocess": False}) as response,
    ):
        for line in response.iter_lines():
            if line and json.loads(line)["response"]:
                break  # the first piece arrived: hang up
    wait_for(lambda: sum(u.disconnects() for u in upstreams) > before, 20, "an upstream abort")
    wait_for(lambda: model_stats(remote)["busy_slots"] == 0, 10, "the job to end")


@dataclass
class Outcome:
    ok: bool
    got_text: bool
    error: str = ""


def stream_requests(server: Server, stop: threading.Event, outcomes: list[Outcome]) -> None:
    """Send streaming completions back to back until ``stop``; record how each one ended."""
    number = 0
    with server.client() as client:
        while not stop.is_set():
            number += 1
            prompt = f"def worker_{threading.get_ident()}_{number}(items): <SUF>\n<MID>"
            body = {
                "prompt": prompt,
                "stream": True,
                "options": {"num_predict": 12},
                "postprocess": False,
            }
            got_text = False
            try:
                with client.stream("POST", "/api/generate", json=body) as response:
                    if response.status_code != 200:
                        response.read()
                        outcomes.append(Outcome(False, False, response.text))
                        continue
                    for line in response.iter_lines():
                        event = json.loads(line) if line else {}
                        if "error" in event:
                            outcomes.append(Outcome(False, got_text, event["error"]))
                            break
                        got_text = got_text or bool(event.get("response"))
                        if event.get("done"):
                            outcomes.append(Outcome(True, got_text))
            except httpx.HTTPError as error:
                outcomes.append(Outcome(False, got_text, repr(error)))


def test_a_killed_replica_fails_over_and_comes_back(
    remote: Server, upstreams: list[Upstream]
) -> None:
    survivor, victim = upstreams
    outcomes: list[Outcome] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=stream_requests, args=(remote, stop, outcomes)) for _ in range(3)
    ]
    for thread in clients:
        thread.start()
    try:
        wait_for(lambda: victim.requests() > 0 and len(outcomes) >= 3, 60, "traffic")
        victim.kill()
        killed_at = len(outcomes)
        wait_for(lambda: len(outcomes) >= killed_at + 6, 90, "requests after the kill")
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=120)
    failed_early = [o for o in outcomes if not o.ok and not o.got_text]
    assert not failed_early, failed_early  # no request failed before producing tokens
    assert all(o.ok for o in outcomes[killed_at + 3 :]), outcomes[killed_at:]
    wait_for(lambda: model_stats(remote)["healthy_upstreams"] == 1, 10, "the victim out")

    before = victim.requests()
    victim.spawn()  # same port
    victim.wait_ready()
    wait_for(lambda: model_stats(remote)["healthy_upstreams"] == 2, 20, "the victim back")
    with remote.client() as client:
        for i in range(6):
            body = {"prompt": f"def again_{i}(): <SUF> <MID>", "options": {"num_predict": 4}}
            assert client.post("/api/generate", json={**body, "stream": False}).status_code == 200
    assert victim.requests() > before, "the restarted replica got no requests"
    assert survivor.process is not None and survivor.process.poll() is None
