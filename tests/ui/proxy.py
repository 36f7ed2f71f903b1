"""A reverse proxy that serves codefill under a path prefix, as nginx's
``location /codefill/ { proxy_pass http://codefill/; }`` would: it strips the prefix,
forwards everything else unchanged, and streams answers through as they come."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send

from tests.conftest import free_port

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


class PrefixProxy:
    def __init__(self, upstream: str, prefix: str) -> None:
        self.upstream = upstream
        self.prefix = prefix
        self.paths: list[str] = []  # every path asked for, prefix included

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        self.paths.append(path)
        if not path.startswith(self.prefix + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"outside the prefix"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope["query_string"].decode()
        target = path[len(self.prefix) :] + (f"?{query}" if query else "")
        headers = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k.decode() not in _HOP_BY_HOP
        ]
        async with httpx.AsyncClient(base_url=self.upstream, timeout=None) as client:
            request = client.build_request(scope["method"], target, headers=headers, content=body)
            answer = await client.send(request, stream=True)
            try:
                kept = [
                    (k.encode(), v.encode())
                    for k, v in answer.headers.multi_items()
                    if k.lower() not in _HOP_BY_HOP
                ]
                await send(
                    {"type": "http.response.start", "status": answer.status_code, "headers": kept}
                )
                async for chunk in answer.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await answer.aclose()


@contextlib.contextmanager
def prefix_proxy(upstream: str, prefix: str) -> Iterator[tuple[str, PrefixProxy]]:
    """Run the proxy on a free port: yields its base URL (with the prefix) and the proxy."""
    proxy = PrefixProxy(upstream, prefix)
    port = free_port()
    config = uvicorn.Config(
        proxy, host="127.0.0.1", port=port, log_level="warning", http="h11", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the proxy did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}{prefix}", proxy
    finally:
        server.should_exit = True
        thread.join(timeout=10)
