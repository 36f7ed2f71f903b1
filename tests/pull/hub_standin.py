"""A local stand-in of the Hugging Face Hub's HTTP API, as much of it as a pull uses.

huggingface_hub calls, for ``org/repo:QUANT``:

    GET  /api/models/{repo}/tree/main?recursive=True&expand=False  the file list (size, lfs sha256)
    HEAD /{repo}/resolve/main/{file}   X-Repo-Commit, X-Linked-Etag (the sha256), X-Linked-Size
    GET  /{repo}/resolve/main/{file}   the bytes; ``Range: bytes=N-`` when it resumes

Unknown repositories and files answer 404 with the hub's ``X-Error-Code`` (``RepoNotFound``,
``EntryNotFound``), which huggingface_hub turns into its typed errors. ``/files/{name}`` serves
the same files as a plain web server would (an ETag, no hub headers), for URL pulls.

Switches, set on the :class:`HubStandIn` between requests: ``cut_after`` (close the connection
after that many body bytes, for the next ``cuts`` responses), ``wrong_sha256``, ``huge`` (say
every file is a petabyte), ``rate`` (bytes per second), ``fail`` (an error status).
``requests`` logs what came in.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
WRONG_SHA256 = "f" * 64
HUGE = 10**15
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<file>.+)$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<revision>[^/]+)(/.*)?$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 23):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class HubStandIn:
    """The files of each fake repository, the switches, and the request log."""

    repos: dict[str, dict[str, Path]]
    cut_after: int | None = None
    cuts: int = 1
    wrong_sha256: bool = False
    huge: bool = False
    rate: float | None = None
    fail: tuple[int, str] | None = None  # the status and X-Error-Code of every resolve
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    bytes_sent: int = 0
    _hashes: dict[Path, str] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sha256(self, path: Path) -> str:
        if path not in self._hashes:
            self._hashes[path] = sha256_of(path)
        return WRONG_SHA256 if self.wrong_sha256 else self._hashes[path]

    def size(self, path: Path) -> int:
        return HUGE if self.huge else path.stat().st_size

    def start(self, port: int = 0) -> HubStandIn:
        standin = self

        class Handler(_Handler):
            hub = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        self.cut_after, self.cuts, self.wrong_sha256, self.huge = None, 1, False, False
        self.rate, self.fail = None, None
        self.requests.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: HubStandIn

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        self.hub.requests.append((self.command, path, self.headers.get("Range", "")))
        if tree := _TREE.match(path):
            self._tree(tree["repo"])
        elif resolve := _RESOLVE.match(path):
            self._resolve(resolve["repo"], resolve["file"], head)
        elif path.startswith("/files/"):
            file = self._plain_file(path.removeprefix("/files/"))
            if file is None:
                self._error(404, "", "not found")
            else:
                self._file(file, head, hub_headers=False)
        else:
            self._error(404, "", "no such route")

    def _tree(self, repo: str) -> None:
        files = self.hub.repos.get(repo)
        if files is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return
        listing = [
            {
                "type": "file",
                "path": name,
                "size": self.hub.size(path),
                "oid": "b" * 40,
                "lfs": {
                    "oid": self.hub.sha256(path),
                    "size": self.hub.size(path),
                    "pointerSize": 134,
                },
            }
            for name, path in files.items()
        ]
        listing.append({"type": "file", "path": "README.md", "size": 5, "oid": "c" * 40})
        self._json(listing)

    def _resolve(self, repo: str, name: str, head: bool) -> None:
        files = self.hub.repos.get(repo)
        if self.hub.fail is not None:
            self._error(*self.hub.fail, f"failing as told: {self.hub.fail}")
        elif files is None:
            self._error(404, "RepoNotFound", "Repository not found")
        elif name not in files:
            self._error(404, "EntryNotFound", f"Entry not found: {name}")
        else:
            self._file(files[name], head, hub_headers=True)

    def _plain_file(self, name: str) -> Path | None:
        for files in self.hub.repos.values():
            if name in files:
                return files[name]
        return None

    def _file(self, path: Path, head: bool, hub_headers: bool) -> None:
        size = path.stat().st_size
        start = 0
        match = _RANGE.match(self.headers.get("Range", ""))
        status = 200
        if match and not head:
            start, status = int(match[1]), 206
        self.send_response(status)
        sha256 = self.hub.sha256(path)
        self.send_header("ETag", f'"{sha256}"')
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        if hub_headers:
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{sha256}"')
            self.send_header("X-Linked-Size", str(self.hub.size(path)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(self.hub.size(path) if head else size - start))
        self.end_headers()
        if not head:
            self._send_body(path, start, size)

    def _send_body(self, path: Path, start: int, size: int) -> None:
        hub = self.hub
        limit = size - start
        if hub.cut_after is not None and hub.cuts > 0:
            hub.cuts -= 1
            limit = min(limit, hub.cut_after)
        began, sent = time.monotonic(), 0
        with path.open("rb") as file:
            file.seek(start)
            while sent < limit:
                block = file.read(min(1 << 20, limit - sent))
                try:
                    self.wfile.write(block)
                except OSError:  # the client left
                    self.close_connection = True
                    return
                sent += len(block)
                hub.bytes_sent += len(block)
                if hub.rate:
                    time.sleep(max(0.0, began + sent / hub.rate - time.monotonic()))
        if start + sent < size:  # cut: the client sees the connection end mid-body
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def _json(self, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
