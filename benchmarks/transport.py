"""What one token costs to cross from a worker process to the server, by transport.

A child process sends the deltas of a generation (one message per token, the shape
``engine/ipc.py`` sends) and the parent decodes every one, as the engine's reader thread
does; a second run bounces one message back and forth for the round trip an abort or a
submit takes. Compared side by side in one run: ``multiprocessing.connection`` with pickle
over a pipe (what codefill uses), JSON lines over a pipe, and, when installed, msgpack.

    .venv/bin/python benchmarks/transport.py [--messages 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from harness import machine, save, table

from codefill.engine.base import Delta, FinishReason, Usage
from codefill.engine.ipc import decode_delta, encode_delta

try:
    import msgpack  # type: ignore[import-not-found]
except ImportError:  # optional: measured only where installed
    msgpack = None

TRANSPORTS = ["pickle (multiprocessing.connection)", "json lines"] + (
    ["msgpack"] if msgpack is not None else []
)


class Framed:
    """Length-prefixed frames over a pipe, for the encodings that are not pickle."""

    def __init__(self, fd: int, dumps: Any, loads: Any) -> None:
        self.file = os.fdopen(fd, "r+b", buffering=0)
        self.dumps, self.loads = dumps, loads

    def send(self, message: Any) -> None:
        data = self.dumps(message)
        self.file.write(len(data).to_bytes(4, "little") + data)

    def recv(self) -> Any:
        size = int.from_bytes(self._read(4), "little")
        return self.loads(self._read(size))

    def _read(self, count: int) -> bytes:
        chunks = []
        while count:
            chunk = self.file.read(count)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)


def channel(kind: str, fd: int) -> Any:
    if kind.startswith("pickle"):
        return Connection(fd)
    if kind == "json lines":
        return Framed(fd, lambda m: json.dumps(m).encode(), json.loads)
    return Framed(fd, msgpack.packb, lambda data: msgpack.unpackb(data, use_list=False))


def child(kind: str, fd: int, mode: str, count: int) -> None:
    end = channel(kind, fd)
    delta = encode_delta("job-1", Delta(" token"))
    if mode == "stream":
        for _ in range(count):
            end.send(delta)
        end.send(encode_delta("job-1", Delta("", FinishReason.STOP, Usage(5, 0, count))))
    else:
        for _ in range(count):
            end.send(end.recv())


def run(kind: str, mode: str, count: int) -> float:
    """Seconds per message (stream) or per round trip (ping)."""
    import socket

    parent_sock, child_sock = socket.socketpair()
    fd = child_sock.detach()
    command = [sys.executable, __file__, "--child", kind, str(fd), mode, str(count)]
    process = subprocess.Popen(command, pass_fds=(fd,))
    os.close(fd)
    end = channel(kind, parent_sock.detach())
    started = time.perf_counter()
    if mode == "stream":
        while True:
            message = tuple(end.recv())
            _job, delta = decode_delta(message)
            if delta.finish is not None:
                break
    else:
        ping = encode_delta("job-1", Delta("x"))
        for _ in range(count):
            end.send(ping)
            end.recv()
    seconds = time.perf_counter() - started
    process.wait()
    return seconds / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    args = parser.parse_args()
    rows = []
    for kind in TRANSPORTS:
        per_delta = min(run(kind, "stream", args.messages) for _ in range(3))
        per_trip = min(run(kind, "ping", args.messages // 10) for _ in range(3))
        rows.append([kind, per_delta * 1e6, per_trip * 1e6])
    base = rows[0][1]
    text = table(
        f"transport: {args.messages} deltas one way, {args.messages // 10} round trips, "
        f"best of 3 ({machine()})",
        ["transport", "us per delta", "us per round trip", "delta cost vs pickle"],
        [[*row, row[1] / base] for row in rows],
    )
    save("transport", text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        main()
