"""The progress bar of ``codefill pull``, on a terminal and off one."""

from __future__ import annotations

import io

from codefill.pull_command import ProgressBar
from codefill.service.pull_names import PullProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def show(stream: io.StringIO) -> str:
    bar = ProgressBar(stream)
    bar(PullProgress("pulling manifest"))
    for done in range(0, 101, 2):
        bar(PullProgress("pulling abc", "sha256:abc", 100_000_000, done * 1_000_000))
    bar(PullProgress("success"))
    return stream.getvalue()


def test_a_terminal_gets_one_bar_redrawn_in_place() -> None:
    text = show(Terminal())
    assert text.count("\r") == 51 and text.count("\n") == 3
    assert "100% " in text and "[#########################]" in text
    assert text.endswith("]\nsuccess\n")


def test_a_log_gets_a_line_every_five_percent() -> None:
    lines = show(io.StringIO()).splitlines()
    assert lines[0] == "pulling manifest" and lines[-1] == "success"
    assert len(lines) == 20 and "100%" in lines[-2] and "\r" not in "".join(lines)
