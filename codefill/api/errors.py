"""Errors on the wire: each dialect's body shape for a :class:`CodefillError`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from codefill.api.wire import dumps
from codefill.errors import CodefillError, Overloaded

__all__ = ["error_response", "is_ollama_path", "ollama_error_body", "openai_error_body"]


def is_ollama_path(path: str) -> bool:
    return path.startswith("/api/") or path == "/api"


def ollama_error_body(error: CodefillError) -> dict[str, object]:
    return {"error": error.message}


def openai_error_body(error: CodefillError) -> dict[str, object]:
    return {
        "error": {
            "message": error.message,
            "type": error.kind,
            "param": getattr(error, "param", None),
            "code": error.code,
        }
    }


def error_response(request: Request, error: CodefillError) -> Response:
    """The error in the dialect of the route it happened on."""
    if is_ollama_path(request.url.path):
        body = ollama_error_body(error)
    else:
        body = openai_error_body(error)
    headers: dict[str, str] = {}
    if isinstance(error, Overloaded):
        headers["Retry-After"] = str(error.retry_after)
    if error.status >= 500:
        headers["x-should-retry"] = "true" if isinstance(error, Overloaded) else "false"
    return Response(
        dumps(body) + "\n",
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )
