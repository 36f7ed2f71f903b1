"""A codefill server for the length of one run: ``python -m codefill serve`` on a free port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from codefill.eval.client import wait_healthy
from codefill.eval.errors import HarnessError

__all__ = ["free_port", "running_server", "serving"]

START_TIMEOUT = 300.0  # the first load of a built-in model assembles it from its packages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running_server(config: Path | None, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Start the server, yield its URL once ``/health`` is 200, and stop it afterwards.

    Its output goes to a log file whose tail is shown when it fails to start.
    """
    port = free_port()
    command = [sys.executable, "-m", "codefill", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    if config is not None:
        command += ["--config", str(config)]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="codefill-eval-") as workdir:
        log = Path(workdir) / "server.log"
        with log.open("wb") as output:
            try:
                process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
            except OSError as error:
                raise HarnessError(f"cannot start the server: {error}") from None
        try:
            with httpx.Client(base_url=url) as client:
                try:
                    wait_healthy(client, timeout, alive=lambda: process.poll() is None)
                except HarnessError as error:
                    raise HarnessError(f"{error}; its log ends:\n{_tail(log)}") from None
            try:
                yield url
            except HarnessError as error:
                if process.poll() is None:
                    raise
                status = process.returncode
                raise HarnessError(
                    f"{error}\nthe server exited with status {status}; its log ends:\n{_tail(log)}"
                ) from None
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(server: str | None, config: Path | None) -> Iterator[str]:
    """The URL of the server given, or of one started for the block with ``config``."""
    if server is not None:
        yield server.rstrip("/")
    else:
        with running_server(config) as url:
            yield url
