"""Workers that die: a native crash, a kill, a stopped process, a CPU whose kernels crash.

Each test drives a real server whose models run in worker processes, sends the worker a
real signal while a request runs on it, and checks what the client sees (the dialect's
error, never a hang), that the next request succeeds, that requests still waiting for a
slot are served by the new worker, and that another model's stream is untouched.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import openai
import pytest

from codefill.engine.cpu import amx_flags
from tests.conftest import Server, start_server, stop_server

CONFIG = """
slots = 1
worker_watchdog_seconds = 3
worker_restart_max_seconds = 2
[[models]]
name = "other"
builtin = "smollm2"
"""
LONG = {"temperature": 0, "num_predict": 1500}
# greedy, a chat answer that runs to a 1,500-token limit: a sampled answer to "Count to
# 1000." was sometimes short enough to end before a test's kill landed
COUNTING = "Write the numbers from 1 to 1000, separated by commas."
DEADLINE = 60.0


@pytest.fixture(scope="module")
def crashy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("worker-faults"), CONFIG)
    yield running
    stop_server(running)


def worker_state(server: Server, model: str = "default") -> dict[str, Any]:
    """The model's entry in /health: queued, busy_slots, state, pid, restarts, crashes."""
    models = httpx.get(f"{server.url}/health", timeout=10).json()["models"]
    state = models.get(model, {})
    assert isinstance(state, dict)
    return state


def wait_for(check: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ready_pid(server: Server, model: str = "default") -> int:
    """Load the model if needed and wait until its worker is ready; its pid."""
    httpx.post(f"{server.url}/api/generate", json={"model": model, "prompt": ""}, timeout=120)
    wait_for(lambda: worker_state(server, model).get("state") == "ready", f"{model} ready")
    pid = worker_state(server, model)["pid"]
    assert isinstance(pid, int)
    return pid


def crash_when_busy(server: Server, sig: signal.Signals, model: str = "default") -> int:
    """Send ``sig`` to the model's worker once a job is running on it; the pid."""
    pid = ready_pid(server, model)
    wait_for(lambda: worker_state(server, model).get("busy_slots") == 1, "a running job")
    os.kill(pid, sig)
    return pid


def complete(server: Server, tokens: int = 4) -> httpx.Response:
    """A short greedy completion on the default model."""
    body = {"prompt": "def f():", "stream": False, "options": {"num_predict": tokens}}
    return httpx.post(f"{server.url}/api/generate", json=body, timeout=DEADLINE)


def crashes(server: Server, model: str = "default") -> int:
    return int(worker_state(server, model).get("crashes", 0))


# --- each dialect, mid-stream and before the first byte ---------------------------------

STREAMS = {
    "ollama-ndjson": ("/api/generate", {"prompt": "Count: 1, 2, 3,", "options": LONG}),
    "openai-chat-sse": (
        "/v1/chat/completions",
        {
            "messages": [{"role": "user", "content": COUNTING}],
            "max_tokens": 1500,
            "temperature": 0,
        },
    ),
    "openai-completions-sse": (
        "/v1/completions",
        {"prompt": "Count: 1, 2, 3,", "max_tokens": 1500, "temperature": 0},
    ),
    "infill-sse": (
        "/infill",
        {"input_prefix": "Count: 1, 2, 3,", "input_suffix": "", "n_predict": 1500},
    ),
}


def error_of(route: str, line: str) -> str | None:
    """The error message a stream line carries in its dialect, or None."""
    if route.startswith("/api/"):
        body = json.loads(line)
        error = body.get("error")
        return error if isinstance(error, str) else None
    if not line.startswith("data: ") or line == "data: [DONE]":
        return None
    body = json.loads(line.removeprefix("data: "))
    error = body.get("error") if isinstance(body, dict) else None
    return error["message"] if isinstance(error, dict) else None


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=lambda s: s.name)
@pytest.mark.parametrize("dialect", list(STREAMS))
def test_a_worker_dying_mid_stream_ends_the_stream_with_the_dialects_error(
    crashy: Server, dialect: str, sig: signal.Signals
) -> None:
    route, body = STREAMS[dialect]
    pid = ready_pid(crashy)
    before = crashes(crashy)
    lines: list[str] = []
    with (
        httpx.Client(base_url=crashy.url, timeout=DEADLINE) as client,
        client.stream("POST", route, json={**body, "stream": True, "postprocess": False}) as reply,
    ):
        assert reply.status_code == 200
        for line in reply.iter_lines():
            if not line.strip():
                continue
            lines.append(line)
            if len(lines) == 3:  # text is flowing: the job is running in the worker
                os.kill(pid, sig)
    errors = [message for line in lines if (message := error_of(route, line))]
    assert len(errors) == 1, lines[-3:]
    assert f"died ({sig.name})" in errors[0] and "retry" in errors[0]
    assert error_of(route, lines[-1]) or lines[-1] == "data: [DONE]"
    wait_for(lambda: crashes(crashy) == before + 1, "the crash to be counted")
    fine = complete(crashy)
    assert fine.status_code == 200 and fine.json()["done"] is True
    assert worker_state(crashy)["pid"] != pid


@pytest.mark.parametrize(
    ("route", "body", "read_error"),
    [
        (
            "/api/generate",
            {"prompt": "Count: 1, 2, 3,", "stream": False, "options": LONG},
            lambda body: body["error"],
        ),
        (
            "/v1/completions",  # Tabby's dialect: segments, answered whole
            {"segments": {"prefix": "Count: 1, 2, 3,", "suffix": ""}, "max_tokens": 1500},
            lambda body: body["error"]["message"],
        ),
    ],
    ids=["ollama-one-object", "tabby"],
)
def test_a_worker_dying_before_the_first_byte_is_a_503_with_retry_after(
    crashy: Server, route: str, body: dict[str, Any], read_error: Callable[[Any], str]
) -> None:
    answers: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{crashy.url}{route}", json={**body, "postprocess": False}, timeout=90)
        )
    )
    request.start()
    crash_when_busy(crashy, signal.SIGSEGV)
    request.join(DEADLINE)
    assert answers, "the request hung"
    reply = answers[0]
    assert reply.status_code == 503, reply.text
    assert int(reply.headers["Retry-After"]) >= 1
    assert "died (SIGSEGV)" in read_error(reply.json())


def test_queued_requests_wait_for_the_new_worker(crashy: Server) -> None:
    """One slot: a second request waits in the queue; the crash fails only the running one."""
    ready_pid(crashy)
    answers: dict[str, httpx.Response] = {}

    def post(name: str, body: dict[str, Any]) -> None:
        answers[name] = httpx.post(f"{crashy.url}/api/generate", json=body, timeout=90)

    running = threading.Thread(
        target=post, args=("running", {"prompt": "Count:", "stream": False, "options": LONG})
    )
    running.start()
    wait_for(lambda: worker_state(crashy).get("busy_slots") == 1, "the first job to run")
    short = {"num_predict": 8, "temperature": 0}
    queued = threading.Thread(
        target=post, args=("queued", {"prompt": "def f():", "stream": False, "options": short})
    )
    queued.start()
    wait_for(lambda: worker_state(crashy).get("queued") == 1, "the second job to queue")
    os.kill(worker_state(crashy)["pid"], signal.SIGKILL)
    running.join(DEADLINE)
    queued.join(DEADLINE)
    assert answers["running"].status_code == 503
    assert answers["queued"].status_code == 200, answers["queued"].text
    assert answers["queued"].json()["done"] is True


def test_another_models_stream_finishes_intact(crashy: Server) -> None:
    ready_pid(crashy, "other")
    body = {
        "model": "other",
        "prompt": "Count: 1, 2, 3,",
        "stream": True,
        "postprocess": False,
        "options": {"temperature": 0, "num_predict": 120},
    }
    solo = httpx.post(f"{crashy.url}/api/generate", json={**body, "stream": False}, timeout=90)
    expected = solo.json()["response"]
    pieces: list[str] = []
    crashed = False
    with httpx.stream("POST", f"{crashy.url}/api/generate", json=body, timeout=DEADLINE) as reply:
        for line in reply.iter_lines():
            chunk = json.loads(line)
            assert "error" not in chunk
            pieces.append(chunk["response"])
            if len(pieces) == 5 and not crashed:
                pid = ready_pid(crashy)
                os.kill(pid, signal.SIGKILL)
                crashed = True
            if chunk["done"]:
                break
    assert crashed and "".join(pieces) == expected
    assert worker_state(crashy, "other")["crashes"] == 0


def test_a_stopped_worker_is_killed_by_the_watchdog(crashy: Server) -> None:
    before = crashes(crashy)
    answers: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                f"{crashy.url}/api/generate",
                json={"prompt": "Count:", "stream": False, "options": LONG},
                timeout=90,
            )
        )
    )
    request.start()
    pid = crash_when_busy(crashy, signal.SIGSTOP)
    request.join(DEADLINE)
    assert answers and answers[0].status_code == 503
    assert "died (watchdog)" in answers[0].json()["error"]
    wait_for(lambda: worker_state(crashy).get("state") == "ready", "the restart")
    assert worker_state(crashy)["pid"] != pid and crashes(crashy) == before + 1
    metrics = httpx.get(f"{crashy.url}/metrics", timeout=10).text
    assert 'codefill_worker_crashes_total{cause="watchdog",model="default"}' in metrics
    assert 'codefill_worker_restarts_total{cause="watchdog",model="default"}' in metrics


def test_the_official_clients_raise_errors_they_can_handle(crashy: Server) -> None:
    chat = openai.OpenAI(base_url=crashy.url + "/v1", api_key="none", max_retries=0)
    pid = ready_pid(crashy)
    stream = chat.chat.completions.create(  # a greedy answer that runs to its limit
        model="default",
        messages=[{"role": "user", "content": COUNTING}],
        max_tokens=1500,
        temperature=0,
        stream=True,
    )
    with pytest.raises(openai.APIError, match="died"):
        for index, _chunk in enumerate(stream):
            if index == 3:
                os.kill(pid, signal.SIGKILL)
    client = ollama.Client(host=crashy.url, timeout=DEADLINE)
    pid = ready_pid(crashy)
    with pytest.raises(ollama.ResponseError, match="died"):
        for index, _part in enumerate(
            client.generate("default", "1\n2\n3\n", stream=True, options=LONG)
        ):
            if index == 3:
                os.kill(pid, signal.SIGKILL)


# --- CPUs whose kernels crash -----------------------------------------------------------


def test_a_crash_in_the_first_decode_restarts_without_extra_buffers(
    tmp_path: Path,
) -> None:
    """The AMX crash, forced by the test hook, on a CPU that does not look like AMX."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    settings = (
        f'worker_fault = "segv-first-decode-with-extra-buffers"\ncpuinfo_path = "{cpuinfo}"\n'
    )
    running = start_server(tmp_path, settings)
    try:
        reply = complete(running)
        assert reply.status_code == 200 and reply.json()["done"] is True
        info = httpx.post(f"{running.url}/api/show", json={"model": "default"}, timeout=10)
        notes = info.json()["model_info"]
        assert notes["codefill.extra_buffer_types"] is False
        assert "crashed (SIGSEGV)" in notes["codefill.extra_buffer_types_reason"]
        metrics = httpx.get(f"{running.url}/metrics", timeout=10).text
        assert 'codefill_worker_crashes_total{cause="SIGSEGV",model="default"} 1.0' in metrics
        assert "--no-repack" in running.log.read_text()
    finally:
        stop_server(running)


def test_a_simulated_amx_cpu_loads_without_extra_buffers(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f amx_bf16 amx_tile amx_int8\n")
    running = start_server(tmp_path, f'cpuinfo_path = "{cpuinfo}"\n')
    try:
        info = httpx.post(f"{running.url}/api/show", json={"model": "default"}, timeout=10)
        notes = info.json()["model_info"]
        assert notes["codefill.extra_buffer_types"] is False
        assert "AMX (amx_tile, amx_int8, amx_bf16)" in notes["codefill.extra_buffer_types_reason"]
        assert worker_state(running)["crashes"] == 0
    finally:
        stop_server(running)


def _this_cpu_has_amx() -> bool:
    try:
        return bool(amx_flags(Path("/proc/cpuinfo").read_text()))
    except OSError:
        return False


@pytest.mark.skipif(not _this_cpu_has_amx(), reason="this CPU has no AMX: the real path cannot run")
def test_on_a_real_amx_cpu_completions_work(server: Server) -> None:
    reply = complete(server, 8)
    assert reply.status_code == 200 and reply.json()["done"] is True
    info = httpx.post(f"{server.url}/api/show", json={"model": "default"}, timeout=10)
    assert info.json()["model_info"]["codefill.extra_buffer_types"] is False


def test_the_engine_can_still_run_inside_the_server(tmp_path: Path) -> None:
    """``worker_processes = false``: no worker process, the same answers."""
    running = start_server(tmp_path, "worker_processes = false\n")
    try:
        reply = complete(running, 8)
        assert reply.status_code == 200 and reply.json()["eval_count"] >= 1
        assert worker_state(running)["pid"] is None
    finally:
        stop_server(running)
