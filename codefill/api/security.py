"""Who may call, and how much they may send: API keys and the request body limit.

Both are plain ASGI middleware so that they act before any route reads the body. Keys are
compared in constant time and never logged; ``/health`` stays open for load balancers, and
so do the web pages and their static files (they hold no data; the calls they make carry the
key the user enters).
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codefill.api.errors import is_ollama_path, ollama_error_body, openai_error_body
from codefill.api.ui import PAGE_PATHS, STATIC_PREFIX
from codefill.errors import CodefillError, PayloadTooLarge, Unauthorized

__all__ = ["ApiKeys", "BodyLimit"]

OPEN_PATHS = frozenset({"/health", *PAGE_PATHS})


async def _refuse(
    scope: Scope, send: Send, error: CodefillError, *extra: tuple[bytes, bytes]
) -> None:
    path = scope.get("path", "")
    body = ollama_error_body(error) if is_ollama_path(path) else openai_error_body(error)
    payload = (json.dumps(body, separators=(",", ":")) + "\n").encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": error.status, "headers": [*headers, *extra]}
    )
    await send({"type": "http.response.body", "body": payload})


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(STATIC_PREFIX)


class ApiKeys:
    """Require ``Authorization: Bearer <key>`` (or ``x-api-key``) when keys are configured."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self._keys = [key.encode() for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._keys or _is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self._allowed(dict(scope["headers"])):
            await self.app(scope, receive, send)
            return
        error = Unauthorized("a valid API key is required: send 'Authorization: Bearer <key>'")
        await _refuse(scope, send, error, (b"www-authenticate", b"Bearer"))

    def _allowed(self, headers: dict[bytes, bytes]) -> bool:
        offered = headers.get(b"x-api-key", b"")
        authorization = headers.get(b"authorization", b"")
        scheme, _, token = authorization.partition(b" ")
        if scheme.lower() == b"bearer":
            offered = token.strip()
        # compare against every key so the time taken does not say which one is close
        matches = [hmac.compare_digest(offered, key) for key in self._keys]
        return bool(offered) and any(matches)


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413: by Content-Length, or while reading."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._limit:
            await _refuse(scope, send, self._error())
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self._limit:
                    raise self._error()
            return message

        await self.app(scope, counted, send)

    def _error(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is over the limit of {self._limit} bytes")
