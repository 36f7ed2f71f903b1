"""Runs a model-written program in a child process: timeout, memory cap, and no network.

The network is cut with a new network namespace (``unshare --net``: only a downed loopback
exists inside, so neither the internet nor servers on this machine can be reached, from
Python or from any program it starts). Where namespaces cannot be made (no root and no
unprivileged user namespaces), a Python preamble replaces the ``socket`` module's entry
points instead; that blocks Python code only, so the namespace is preferred.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GUARD", "Outcome", "Sandbox", "run_program", "sandbox"]

MEMORY_LIMIT = 4 << 30  # address space per program; catches runaway allocations
FILE_LIMIT = 64 << 20  # largest file a program may write

# Python that makes every socket call fail: a program under test may not use the network.
NETWORK_GUARD = """
import _socket, socket
def _refuse(*args, **kwargs):
    raise OSError("network access is disabled in the codefill eval sandbox")
class _NoSocket(socket.socket):
    __init__ = _refuse
class _NoRawSocket(_socket.socket):
    __init__ = _refuse
socket.socket = _NoSocket
_socket.socket = _NoRawSocket
for name in ("create_connection", "create_server", "socketpair", "fromfd", "getaddrinfo",
             "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
    setattr(socket, name, _refuse)
"""

# Runs as ``python -I -c BOOTSTRAP PROGRAM MEMORY FILESIZE GUARD``: limits, then the program.
_BOOTSTRAP = (
    """
import resource, sys
path, memory, size, guard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
if guard == "guard":
"""
    + textwrap.indent(NETWORK_GUARD, "    ")
    + """sys.argv = [path]
with open(path, encoding="utf-8") as source:
    code = compile(source.read(), path, "exec")
exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})
"""
)


@dataclass(frozen=True)
class Sandbox:
    """How programs are isolated: a command prefix, and whether the Python guard is needed."""

    name: str
    prefix: tuple[str, ...] = ()
    guard: bool = False


GUARD = Sandbox("python socket guard", guard=True)
_NAMESPACES = (
    Sandbox("unshare --net", ("unshare", "--net", "--")),
    Sandbox("unshare --user --net", ("unshare", "--user", "--map-root-user", "--net", "--")),
)


@functools.cache
def sandbox() -> Sandbox:
    """The strongest isolation this machine allows, probed once per process."""
    if shutil.which("unshare") is not None:
        for candidate in _NAMESPACES:
            try:
                probe = subprocess.run(
                    [*candidate.prefix, sys.executable, "-c", "pass"],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=10,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if probe.returncode == 0:
                return candidate
    return GUARD


@dataclass(frozen=True)
class Outcome:
    """``status`` is passed, failed or timeout; ``detail`` is the last line of stderr."""

    status: str
    detail: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _last_line(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        text = handle.read().decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the program and anything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run_program(program: str, timeout: float, isolation: Sandbox | None = None) -> Outcome:
    """Execute ``program`` in a fresh temporary directory; exit status 0 means passed."""
    isolation = isolation or sandbox()
    with tempfile.TemporaryDirectory(prefix="codefill-exec-") as workdir:
        path = Path(workdir) / "program.py"
        path.write_text(program, encoding="utf-8")
        errors = Path(workdir) / "stderr.txt"
        command = [*isolation.prefix, sys.executable, "-I", "-B", "-c", _BOOTSTRAP, str(path)]
        command += [str(MEMORY_LIMIT), str(FILE_LIMIT), "guard" if isolation.guard else "open"]
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
        start = time.perf_counter()
        with errors.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                process.wait()
                return Outcome("timeout", f"timed out after {timeout:g} s", timeout)
            finally:
                _kill_group(process)
        seconds = time.perf_counter() - start
        if returncode == 0:
            return Outcome("passed", "", seconds)
        return Outcome("failed", _last_line(errors) or f"exit status {returncode}", seconds)
