"""One running worker process, seen from the server: start it, talk to it, notice its end.

A reader thread takes every message the worker sends and hands it on; when the worker's
pipe closes it reaps the process and reports how it ended (a signal's name such as
``SIGSEGV``, ``exit 1``, or ``watchdog``). A watchdog thread kills a worker that has sent
nothing (not even its heartbeat) for ``silence`` seconds: stopped, or wedged in a decode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from codefill.engine.ipc import Channel, Load, Message

__all__ = ["WorkerProcess"]

log = logging.getLogger("codefill.worker")


class WorkerProcess:
    """A started worker; ``on_message`` and ``on_exit`` run on its reader thread."""

    def __init__(
        self,
        load: Load,
        on_message: Callable[[WorkerProcess, Message], None],
        on_exit: Callable[[WorkerProcess, str], None],
        silence: float,
    ) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        command = [sys.executable, "-m", "codefill.engine.worker"]
        command += [str(to_worker_read), str(from_worker_write)]
        try:
            self._process = subprocess.Popen(
                command, pass_fds=(to_worker_read, from_worker_write), stdin=subprocess.DEVNULL
            )
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self.pid = self._process.pid
        self.started = time.monotonic()
        self.last_seen = self.started
        self.ready_at: float | None = None
        self._killed_because: str | None = None
        self._commands = Channel(Connection(to_worker_write, readable=False))
        self._events = Channel(Connection(from_worker_read, writable=False))
        self._on_message = on_message
        self._on_exit = on_exit
        self.send("load", load)
        self._reader = threading.Thread(target=self._read, name=f"codefill-worker-{self.pid}")
        self._reader.daemon = True
        self._reader.start()
        watchdog = threading.Thread(target=self._watch, args=(silence,), name="codefill-watchdog")
        watchdog.daemon = True
        watchdog.start()

    def send(self, *message: object) -> None:
        """Send a command; a worker that has died is noticed by the reader, not here."""
        with contextlib.suppress(OSError):
            self._commands.send(*message)

    def kill(self, because: str) -> None:
        """SIGKILL the worker; its end is reported with ``because`` as the cause."""
        if self._killed_because is None:
            self._killed_because = because
        with contextlib.suppress(OSError):
            self._process.kill()

    def wait(self, timeout: float) -> bool:
        """Wait for the reader to have reported the end; False on timeout."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def _read(self) -> None:
        while True:
            try:
                message = self._events.recv()
            except (EOFError, OSError):
                break
            self.last_seen = time.monotonic()
            self._on_message(self, message)
        self._commands.close()
        self._events.close()
        code = self._process.wait()
        self._on_exit(self, self._killed_because or _cause(code))

    def _watch(self, silence: float) -> None:
        while self._reader.is_alive():
            quiet = time.monotonic() - self.last_seen
            if quiet > silence:
                log.error("worker %d silent for %.1fs; killing it", self.pid, quiet)
                self.kill("watchdog")
                return
            self._reader.join(min(0.25, silence / 4))


def _cause(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"
