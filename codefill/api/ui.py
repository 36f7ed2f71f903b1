"""The web pages: ``/ui`` (playground) and ``/ui/dashboard``, and their bundled static files.

The files are built from ``ui/`` by ``scripts/build_ui`` and ship inside the package, so a
plain ``pip install`` serves them. The pages use relative URLs only, so they work behind a
reverse proxy's path prefix. They are open without an API key (they hold no data); every
call they make to the API carries the key the user enters.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from codefill.errors import NotFound

__all__ = ["PAGE_PATHS", "STATIC_PREFIX", "router"]

router = APIRouter(include_in_schema=False)

STATIC_PREFIX = "/ui/static/"
PAGE_PATHS = frozenset({"/ui", "/ui/", "/ui/dashboard"})
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_NAME = re.compile(r"[A-Za-z0-9_-]+\.[a-z]+")
# Everything the pages load comes from this server; the browser refuses anything else.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@functools.cache
def _read(name: str) -> bytes | None:
    """A shipped file's bytes, or None when there is no such file (read once)."""
    if not _NAME.fullmatch(name):
        return None
    file = resources.files("codefill").joinpath("ui", "static", name)
    return file.read_bytes() if file.is_file() else None


def _file(name: str) -> Response:
    body = _read(name)
    suffix = name[name.rfind(".") :]
    if body is None or suffix not in _TYPES:
        raise NotFound(f"no file {name} in the web UI")
    return Response(body, media_type=_TYPES[suffix], headers=_HEADERS)


@router.get("/ui")
async def playground() -> Response:
    return _file("playground.html")


@router.get("/ui/")
async def playground_slash() -> Response:
    """``/ui/`` would resolve the page's relative URLs one level too deep: go to ``/ui``."""
    return RedirectResponse("../ui", status_code=307)


@router.get("/ui/dashboard")
async def dashboard() -> Response:
    return _file("dashboard.html")


@router.get("/ui/static/{name}")
async def static(name: str) -> Response:
    return _file(name)
