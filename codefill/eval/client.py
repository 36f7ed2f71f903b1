"""The harness's only way to the server: the public ``/api/generate`` and ``/health`` routes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from codefill.eval.errors import HarnessError

__all__ = [
    "REQUEST_TIMEOUT",
    "Answer",
    "complete",
    "fim_prompt",
    "load_model",
    "request_body",
    "wait_healthy",
]

# For the client the harness makes: long enough for a cold prompt on two cores, while a hung
# server still ends the request.
REQUEST_TIMEOUT = httpx.Timeout(300.0, connect=10.0)


@dataclass(frozen=True)
class Answer:
    """One streamed answer. ``ttft`` is the time to the first streamed line that carries text
    (or to the final line when the completion is empty); times are seconds from sending."""

    text: str
    ttft: float | None = None
    latency: float | None = None
    done_reason: str | None = None
    output_tokens: int | None = None
    error: str | None = None
    timings: dict[str, Any] | None = None  # the final line's ``timings`` (codefill's)


def fim_prompt(prefix: str, suffix: str) -> str:
    """The seed format; the single space on each side of a marker belongs to the marker, so
    the server parses back exactly ``prefix`` and ``suffix``."""
    return f"# Language: Python\n{prefix} <SUF> {suffix} <MID>"


def request_body(
    model: str,
    prefix: str,
    suffix: str,
    *,
    num_predict: int,
    postprocess: bool,
    token_healing: bool | None = None,
) -> dict[str, Any]:
    """A greedy, streamed request; ``postprocess`` and ``token_healing`` are codefill's
    top-level extension fields (healing None: the server's default)."""
    body = {
        "model": model,
        "prompt": fim_prompt(prefix, suffix),
        "stream": True,
        "options": {"temperature": 0, "num_predict": num_predict},
        "postprocess": postprocess,
    }
    if token_healing is not None:
        body["token_healing"] = token_healing
    return body


def _error_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("error")
    except (ValueError, AttributeError):
        message = None
    return f"HTTP {response.status_code}: {message or response.text.strip()[:200]}"


def complete(
    client: httpx.Client, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Answer:
    """Send one request and read its NDJSON stream; request-level failures become ``error``.

    Raises :class:`HarnessError` only when the server cannot be reached at all, since then
    every other request fails the same way.
    """
    pieces: list[str] = []
    first: float | None = None
    start = time.perf_counter()
    try:
        with client.stream("POST", "/api/generate", json=body, headers=headers) as reply:
            if reply.status_code != 200:
                reply.read()
                return Answer("", error=_error_message(reply))
            for line in reply.iter_lines():
                if not line.strip():
                    continue
                message = json.loads(line)
                if not isinstance(message, dict):
                    return Answer("".join(pieces), error=f"unexpected line: {line[:200]}")
                if "error" in message:
                    return Answer("".join(pieces), error=str(message["error"]))
                text = message.get("response") or ""
                if first is None and (text or message.get("done")):
                    first = time.perf_counter() - start
                pieces.append(text)
                if message.get("done"):
                    return Answer(
                        "".join(pieces),
                        ttft=first,
                        latency=time.perf_counter() - start,
                        done_reason=message.get("done_reason"),
                        output_tokens=message.get("output_tokens"),
                        timings=message.get("timings"),
                    )
    except httpx.ConnectError as error:
        raise HarnessError(f"cannot reach the server at {client.base_url}: {error}") from None
    except (httpx.HTTPError, json.JSONDecodeError) as error:
        return Answer("".join(pieces), error=f"{type(error).__name__}: {error}")
    return Answer("".join(pieces), error="the stream ended without a final line")


def load_model(client: httpx.Client, model: str) -> None:
    """Load ``model`` before timing anything (an empty prompt only loads it, as in Ollama)."""
    try:
        reply = client.post("/api/generate", json={"model": model, "prompt": ""})
    except httpx.HTTPError as error:
        raise HarnessError(f"cannot load model '{model}': {error}") from None
    if reply.status_code != 200:
        raise HarnessError(f"cannot load model '{model}': {_error_message(reply)}")


def wait_healthy(
    client: httpx.Client, timeout: float, alive: Callable[[], bool] | None = None
) -> None:
    """Poll ``GET /health`` until it answers 200 (503 means still loading its model).

    ``alive`` is given for a server the harness started: until it listens, a refused
    connection is expected, and ``alive()`` false means it died. A server given by URL that
    refuses connections is not there, so that fails at once.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise HarnessError("the server exited while starting")
        try:
            reply = client.get("/health", timeout=5.0)
            if reply.status_code == 200:
                return
            last = f"HTTP {reply.status_code}"
        except httpx.ConnectError as error:
            if alive is None:
                raise HarnessError(
                    f"cannot reach the server at {client.base_url}: {error}"
                ) from None
            last = str(error)
        except httpx.HTTPError as error:
            last = str(error) or type(error).__name__
        time.sleep(0.2)
    raise HarnessError(
        f"the server at {client.base_url} was not healthy in {timeout:.0f} s: {last}"
    )
