"""What one run compares: token healing on or off, and the typing benchmark's three cursors.

The typing benchmark asks what an editor asks on a keystroke: the cursor is in the middle of
a word. Each task's middle line is cut at a random point inside a word (seeded per task, so
every subset and every run cuts a task the same way) and the typed part moves into the
prefix; the rest of the line is what the model must write. The line's newline moves to the
suffix, because in an editor the line being typed already ends there. One run scores the
same tasks three ways: with the cursor at the start of the line (the task as given),
mid-word without token healing, and mid-word with it.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from codefill.eval.tasks import Task

__all__ = ["Variant", "cut_mid_word", "mid_word_positions", "rotated", "variants"]

_INSIDE_WORD = re.compile(r"(?<=\w)(?=\w)")


@dataclass(frozen=True)
class Variant:
    """One way to ask for each task; ``healing`` None leaves the server's default."""

    label: str = ""
    healing: bool | None = None
    mid_word: bool = False

    def task(self, task: Task, seed: int) -> Task:
        """The task as this variant asks it (``cut_mid_word`` must have found a cut)."""
        if not self.mid_word:
            return task
        cut = cut_mid_word(task, seed)
        assert cut is not None, f"{task.task_id} has no word to cut inside"
        return cut


TYPING = (
    Variant("line start", True),
    Variant("mid-word, healing off", False, mid_word=True),
    Variant("mid-word, healing on", True, mid_word=True),
)


def variants(typing: bool, healing: Sequence[bool | None]) -> tuple[Variant, ...]:
    """The typing benchmark's three variants, or one per healing setting asked for."""
    if typing:
        return TYPING
    return tuple(
        Variant("" if h is None else f"healing {'on' if h else 'off'}", h) for h in healing
    )


def mid_word_positions(line: str) -> list[int]:
    """Offsets in ``line`` with a word character on both sides (``\\w``: letters, digits, _)."""
    first = line.split("\n", 1)[0]
    return [match.start() for match in _INSIDE_WORD.finditer(first)]


def cut_mid_word(task: Task, seed: int) -> Task | None:
    """The task with the cursor moved into a word of its middle's first line; None when that
    line has no word of two or more characters (``    i = 2``, ``    }``).

    A single-line middle gives its newline to the suffix: ``    ret|`` is then followed by
    the end of its line, as in an editor, and the model writes ``urn x`` (a multi-line
    middle keeps its newlines).
    """
    positions = mid_word_positions(task.middle)
    if not positions:
        return None
    at = random.Random(f"{seed}:{task.task_id}").choice(positions)
    prefix, middle, suffix = task.prefix + task.middle[:at], task.middle[at:], task.suffix
    if middle.endswith("\n") and middle.count("\n") == 1:
        middle, suffix = middle[:-1], "\n" + suffix
    return dataclasses.replace(task, prefix=prefix, middle=middle, suffix=suffix)


def rotated(items: Sequence[Variant], by: int) -> list[Variant]:
    """``items`` starting at ``by`` (mod their count): each variant is asked first as often
    as the others, so a warm cache or a busy machine favours none of them."""
    if not items:
        return []
    start = by % len(items)
    return [*items[start:], *items[:start]]
