"""A recording reverse proxy between a real client and the real server.

Clients report usage from the answers they parse; to check that a client's numbers are the
server's (and not the client's own estimate), a test needs the answer the server actually
sent. The proxy passes every byte through unchanged, streaming included, and keeps each
request and answer, which also shows what a client sent when it fails.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from tests.conftest import free_port

# Per-connection headers: each hop sets its own.
_HOP = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class Exchange:
    """One request as the client sent it and the answer as the server sent it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    answer: bytes = b""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def objects(self) -> list[dict[str, Any]]:
        """The JSON objects of the answer: the whole body, NDJSON lines or SSE data."""
        text = self.answer.decode(errors="replace")
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
        if isinstance(whole, dict):
            return [whole]
        found = []
        for line in text.splitlines():
            line = line.removeprefix("data:").strip()
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def text(self) -> str:
        """The answer's text, joined over its pieces, in any dialect."""
        parts = []
        for answer in self.objects():
            parts.append(_text_of(answer))
            for choice in answer.get("choices") or ():
                parts.append(_text_of(choice))
        return "".join(parts)

    def timings(self) -> dict[str, Any]:
        """codefill's own counts for this answer (every final answer carries ``timings``)."""
        finals = [o["timings"] for o in self.objects() if isinstance(o.get("timings"), dict)]
        assert finals, f"no final answer with timings in {self}"
        return dict(finals[-1])

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path} {self.headers.get('user-agent', '')!r}\n"
            f"  sent: {self.body[:1500]!r}\n  got {self.status}: {self.answer[-600:]!r}"
        )


def _text_of(part: dict[str, Any]) -> str:
    """``response`` (Ollama generate), ``content`` (llama.cpp), ``text`` (OpenAI
    completions), or the ``content`` of ``message`` / ``delta`` (chat)."""
    for key in ("response", "content", "text"):
        if isinstance(part.get(key), str):
            return str(part[key])
    for key in ("message", "delta"):
        if isinstance(part.get(key), dict):
            return str(part[key].get("content") or "")
    return ""


@dataclass
class Recorder:
    """Serves on ``url`` and forwards to ``target``; ``exchanges`` holds what passed."""

    target: str
    exchanges: list[Exchange] = field(default_factory=list, repr=False)
    url: str = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        query = scope["query_string"].decode()
        path = scope["raw_path"].decode() + (f"?{query}" if query else "")
        exchange = Exchange(scope["method"], path, headers, body)
        self.exchanges.append(exchange)
        forward = {k: v for k, v in headers.items() if k.lower() not in _HOP}
        async with (
            httpx.AsyncClient(timeout=300) as client,
            client.stream(scope["method"], self.target + path, headers=forward, content=body) as r,
        ):
            exchange.status = r.status_code
            answer_headers = [
                (k.encode(), v.encode()) for k, v in r.headers.items() if k.lower() not in _HOP
            ]
            start = {"status": r.status_code, "headers": answer_headers}
            await send({"type": "http.response.start", **start})
            async for chunk in r.aiter_raw():
                exchange.answer += chunk
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def on(self, path: str) -> list[Exchange]:
        """The exchanges whose path starts with ``path``, oldest first."""
        return [e for e in self.exchanges if e.path.startswith(path)]

    def last(self, path: str) -> Exchange:
        found = self.on(path)
        assert found, f"the client sent nothing to {path}; it sent: {self.sent()}"
        return found[-1]

    def sent(self) -> str:
        return "\n".join(str(e) for e in self.exchanges) or "nothing"


class RunningRecorder:
    """The proxy on its own uvicorn thread."""

    def __init__(self, target: str) -> None:
        self.recorder = Recorder(target)
        port = free_port()
        self.recorder.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            self.recorder, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the recording proxy did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
