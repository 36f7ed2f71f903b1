"""Workers share the cores through a file: the threads a decode gets, and the gate."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from codefill.engine.cores import CoreShare


def test_alone_a_worker_decodes_with_every_thread(tmp_path: Path) -> None:
    share = CoreShare("budget", str(tmp_path / "cores"), 0, 4)
    with share.turn() as threads:
        assert threads == 4
    with share.turn() as threads:
        assert threads == 4


def test_workers_decoding_together_divide_the_threads(tmp_path: Path) -> None:
    path = str(tmp_path / "cores")
    first, second = CoreShare("budget", path, 0, 4), CoreShare("budget", path, 1, 4)
    with first.turn() as threads:
        assert threads == 4
        with second.turn() as threads:  # the first is decoding now
            assert threads == 2
    with first.turn() as threads:  # the second decoded a moment ago
        assert threads == 2
    time.sleep(0.3)
    with first.turn() as threads:  # and then went quiet
        assert threads == 4


def test_a_worker_that_died_decoding_is_released(tmp_path: Path) -> None:
    path = str(tmp_path / "cores")
    dying, other = CoreShare("budget", path, 3, 2), CoreShare("budget", path, 0, 2)
    turn = dying.turn()
    turn.__enter__()  # never left: the process died inside its decode
    with other.turn() as threads:
        assert threads == 1
    CoreShare.release(path, 3)
    with other.turn() as threads:
        assert threads == 2


def test_the_gate_lets_one_worker_decode_at_a_time(tmp_path: Path) -> None:
    path = str(tmp_path / "cores")
    first, second = CoreShare("gate", path, 0, 2), CoreShare("gate", path, 1, 2)
    order: list[str] = []

    def other() -> None:
        with second.turn():
            order.append("second")

    with first.turn() as threads:
        assert threads == 2
        waiting = threading.Thread(target=other)
        waiting.start()
        time.sleep(0.2)
        order.append("first done")
    waiting.join(5)
    assert order == ["first done", "second"]


def test_no_file_shares_nothing() -> None:
    with CoreShare("budget", None, 0, 8).turn() as threads:
        assert threads == 8
