"""Drive the real tabby-agent over stdio, as an editor would: its LSP server, or the
JSON-lines protocol its Vim and IntelliJ plugins speak.

tabby-agent 1.5.0 (the release on npm) has two stdio modes: ``--lsp --stdio`` is a language
server with ``textDocument/completion`` (whose items carry ``data.completionId``), and plain
``--stdio`` is the agent's own protocol, one JSON array a line (``[id, {"func", "args"}]``),
which calls the agent's methods: ``initialize``, ``provideCompletions``, ``postEvent``.
Only the second reports views and accepts to the server.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parents[2]
JS_DEPENDENCIES = REPO / "tests" / "clients" / "js"
TIMEOUT = 600  # seconds for one answer: a completion on a busy two-core machine is slow


def agent_command() -> str:
    """The pinned tabby-agent (tests/clients/js, installed by ``npm ci`` in scripts/test),
    else the one named by ``TABBY_AGENT``."""
    pinned = JS_DEPENDENCIES / "node_modules" / ".bin" / "tabby-agent"
    if pinned.exists():
        return str(pinned)
    named = os.environ.get("TABBY_AGENT")
    if named:
        return named
    if (JS_DEPENDENCIES / "package.json").exists():
        pytest.fail("tabby-agent is not installed: run `npm ci` in tests/clients/js")
    pytest.skip("no JavaScript test dependencies on this checkout; set TABBY_AGENT to run")


def write_config(home: Path, endpoint: str, token: str) -> None:
    """The agent's config file, the one way its LSP server can be pointed at a server."""
    folder = home / ".tabby-client" / "agent"
    folder.mkdir(parents=True, exist_ok=True)
    token_line = f'token = "{token}"\n' if token else ""
    (folder / "config.toml").write_text(
        f'[server]\nendpoint = "{endpoint}"\n{token_line}requestTimeout = {TIMEOUT * 1000}\n'
        "[anonymousUsageTracking]\ndisable = true\n"
    )


class _Agent:
    """A running tabby-agent whose messages a thread reads into a queue."""

    def __init__(self, home: Path, *mode: str) -> None:
        # its own HOME: the agent keeps its config, data and logs under ~/.tabby-client
        environment = {**os.environ, "HOME": str(home)}
        self.process = subprocess.Popen(
            [agent_command(), *mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[bytes] = self.process.stdin
        self.messages: queue.Queue[Any] = queue.Queue()
        self.notices: list[Any] = []
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stdout: IO[bytes]) -> None:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        self._stdin.write(data)
        self._stdin.flush()

    def _next(self) -> Any:
        try:
            return self.messages.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"tabby-agent said nothing for {TIMEOUT} s") from None

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class LspAgent(_Agent):
    """``tabby-agent --lsp --stdio``: LSP messages with Content-Length headers."""

    def __init__(self, home: Path) -> None:
        super().__init__(home, "--lsp", "--stdio")
        self._ids = 0

    def _read(self, stdout: IO[bytes]) -> None:
        while True:
            length = 0
            while (line := stdout.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if not line:
                return
            self.messages.put(json.loads(stdout.read(length)))

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send a request and return its result; notifications that come first are kept."""
        self._ids += 1
        self._write({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params})
        while True:
            message = self._next()
            if "method" in message:
                self.notices.append(message)
            elif message.get("id") == self._ids:
                assert "error" not in message, message["error"]
                return message["result"]

    def _write(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        self._send(b"Content-Length: %d\r\n\r\n" % len(data) + data)


class JsonLineAgent(_Agent):
    """``tabby-agent --stdio``: ``[id, {"func": name, "args": [...]}]`` a line; answers are
    ``[id, result]`` and events ``[0, {"event": ...}]``."""

    def __init__(self, home: Path) -> None:
        super().__init__(home, "--stdio")
        self._ids = 0

    def _read(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            if line.strip():
                self.messages.put(json.loads(line))

    def call(self, func: str, *args: Any) -> Any:
        self._ids += 1
        self._send(json.dumps([self._ids, {"func": func, "args": list(args)}]).encode() + b"\n")
        while True:
            ident, result = self._next()
            if ident == self._ids:
                return result
            self.notices.append(result)
