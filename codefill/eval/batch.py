"""Runs many programs in one sandboxed process: a fork per program, optionally up to the first pass.

Starting a sandboxed interpreter costs far more than most HumanEval tests take, and the
oracle executes dozens of cuts of one completion. So one sandboxed process (the same
isolation as :func:`codefill.eval.execute.run_program`: no network, memory and file
caps) reads the programs from a JSON file and runs each in a forked child of its own,
in a fresh scratch directory, with its own timeout. With ``first_pass`` it stops at the
first program that passes, which is all the oracle's search needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

from codefill.eval.execute import (
    FILE_LIMIT,
    MEMORY_LIMIT,
    NETWORK_GUARD,
    Outcome,
    Sandbox,
    sandbox,
)

__all__ = ["run_batch"]

# Runs as ``python -I -c BATCH JOBS MEMORY FILESIZE GUARD TIMEOUT FIRST``; prints one JSON
# line per program run: [status, detail, seconds].
_BATCH = (
    """
import json, os, resource, signal, sys, time
jobs, memory, size, guard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
timeout, first = float(sys.argv[5]), sys.argv[6] == "first"
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
with open(jobs, encoding="utf-8") as handle:
    programs = json.load(handle)
base = os.path.dirname(jobs)

def child(index, source):
    os.setpgid(0, 0)
    work = os.path.join(base, str(index))
    os.mkdir(work)
    os.chdir(work)
    null = os.open(os.devnull, os.O_RDWR)
    err = os.open("stderr.txt", os.O_WRONLY | os.O_CREAT)
    os.dup2(null, 0); os.dup2(null, 1); os.dup2(err, 2)
    if guard == "guard":
"""
    + textwrap.indent(NETWORK_GUARD, "        ")
    + """    path = os.path.join(work, "program.py")
    with open(path, "w", encoding="utf-8") as out:
        out.write(source)
    sys.argv = [path]
    code = compile(source, path, "exec")
    exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})

def last_line(index):
    try:
        with open(os.path.join(base, str(index), "stderr.txt"), "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 4096))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""

for index, source in enumerate(programs):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            child(index, source)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    deadline = start + timeout
    status = None
    while status is None:
        done, result = os.waitpid(pid, os.WNOHANG)
        if done:
            status = result
        elif time.perf_counter() > deadline:
            break
        else:
            time.sleep(0.002)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    seconds = time.perf_counter() - start
    if status is None:
        os.waitpid(pid, 0)
        verdict = ["timeout", "timed out after %g s" % timeout, seconds]
    elif os.waitstatus_to_exitcode(status) == 0:
        verdict = ["passed", "", seconds]
    else:
        code = os.waitstatus_to_exitcode(status)
        verdict = ["failed", last_line(index) or "exit status %d" % code, seconds]
    print(json.dumps(verdict), flush=True)
    if first and verdict[0] == "passed":
        break
"""
)


def run_batch(
    programs: Sequence[str],
    timeout: float,
    *,
    first_pass: bool = False,
    isolation: Sandbox | None = None,
) -> list[Outcome]:
    """Outcomes of ``programs`` in order; with ``first_pass`` the list ends at the first pass.

    Each program gets ``timeout`` seconds. Should the batch process itself die, the
    programs it did not report on are left out, so the caller sees a shorter list only
    when ``first_pass`` stopped it or something went badly wrong (then the last entry is a
    failure saying so).
    """
    if not programs:
        return []
    isolation = isolation or sandbox()
    with tempfile.TemporaryDirectory(prefix="codefill-batch-") as workdir:
        jobs = Path(workdir) / "jobs.json"
        jobs.write_text(json.dumps(list(programs)), encoding="utf-8")
        command = [*isolation.prefix, sys.executable, "-I", "-B", "-c", _BATCH, str(jobs)]
        command += [str(MEMORY_LIMIT), str(FILE_LIMIT), "guard" if isolation.guard else "open"]
        command += [repr(timeout), "first" if first_pass else "all"]
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
        try:
            done = subprocess.run(
                command,
                cwd=workdir,
                env=environment,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=len(programs) * (timeout + 1.0) + 10.0,
                start_new_session=True,
            )
            lines, problem = done.stdout.splitlines(), done.stderr.strip()[-300:]
        except subprocess.TimeoutExpired as expired:
            out = expired.stdout or ""
            lines = (out.decode() if isinstance(out, bytes) else out).splitlines()
            problem = "the batch ran past its own deadline"
    outcomes = [Outcome(str(s), str(d), float(t)) for s, d, t in map(json.loads, lines)]
    finished = first_pass and outcomes and outcomes[-1].passed
    if len(outcomes) < len(programs) and not finished:
        outcomes.append(Outcome("failed", f"batch stopped: {problem or 'no reason given'}"))
    return outcomes
