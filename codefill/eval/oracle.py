"""The best possible cut of a raw completion, and how post-processing's cut compares with it.

A cut keeps the first ``n`` characters of the raw text. The candidates are every line
boundary (before and after each newline, and the end) and every character of the first
two lines. :func:`search_cuts` finds the shortest and the longest candidate whose program
passes the task's tests, cheaply: programs that do not compile fail without running,
candidates that compile to the same code are run once, and the rest run in one sandboxed
batch per direction that stops at its first pass (shortest first, then longest first).
:func:`judge` then says whether post-processing's text passed and, if not, whether it cut
too early or too late, by which rule, and how far from a passing cut.
"""

from __future__ import annotations

import marshal
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from codefill.eval.batch import run_batch
from codefill.eval.tasks import Task
from codefill.postprocess import CompletionContext, PostprocessOptions, PostProcessor

__all__ = [
    "CHAR_CUT_LINES",
    "CutSearch",
    "OracleVerdict",
    "cut_points",
    "judge",
    "postprocessed",
    "search_cuts",
]

CHAR_CUT_LINES = 2  # lines of the raw text cut at every character, not just at their ends
LANGUAGE = "Python"  # what the eval's prompts declare (``# Language: Python``)

_WARNINGS = threading.Lock()  # catch_warnings swaps process-wide state

Runner = Callable[[Sequence[str], bool], list[bool]]  # programs, first_pass -> passed flags


def cut_points(raw: str, char_lines: int = CHAR_CUT_LINES) -> list[int]:
    """Cut lengths to try, ascending: each character of the first ``char_lines`` lines and
    each line boundary (before and after every newline, and the end of the text)."""
    points = {0, len(raw)}
    end, seen = len(raw), 0
    for index, char in enumerate(raw):
        if char == "\n":
            points.update((index, index + 1))
            seen += 1
            if seen == char_lines and end == len(raw):
                end = index
    points.update(range(end + 1))
    return sorted(points)


@dataclass
class CutSearch:
    """The outcome of the search: cut lengths of the shortest and longest passing cuts
    (None when no candidate passes), and every candidate's verdict by cut length
    (``passed``, ``failed`` or ``syntax``; untried candidates are absent)."""

    raw: str
    shortest: int | None = None
    longest: int | None = None
    verdicts: dict[int, str] = field(default_factory=dict)
    executed: int = 0  # programs actually run

    def known(self, text: str) -> bool | None:
        """Whether ``text`` passes, when it is a cut whose verdict is known."""
        if not self.raw.startswith(text):
            return None
        verdict = self.verdicts.get(len(text))
        return None if verdict is None else verdict == "passed"


def _default_runner(timeout: float) -> Runner:
    def run(programs: Sequence[str], first_pass: bool) -> list[bool]:
        return [o.passed for o in run_batch(programs, timeout, first_pass=first_pass)]

    return run


def _compiled_key(program: str) -> bytes | None:
    """The program's code as bytes (equal keys behave the same), None when it does not compile."""
    with _WARNINGS, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cut's SyntaxWarnings are noise here
        try:
            return marshal.dumps(compile(program, "program.py", "exec"))
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
            return None


def search_cuts(task: Task, raw: str, timeout: float, runner: Runner | None = None) -> CutSearch:
    """Find the shortest and longest passing cuts of ``raw`` for ``task``."""
    run = runner or _default_runner(timeout)
    search = CutSearch(raw)
    groups: dict[bytes, list[int]] = {}
    for point in cut_points(raw):
        key = _compiled_key(task.program(raw[:point]))
        if key is None:
            search.verdicts[point] = "syntax"
        else:
            groups.setdefault(key, []).append(point)
    ordered = sorted(groups.values(), key=lambda group: group[0])
    first = _first_passing(task, raw, ordered, run, search)
    if first is None:
        return search
    search.shortest = first[0]
    # Longest: only groups whose longest cut beats the best known pass can improve on it.
    best = max(first)
    later = [group for group in ordered if max(group) > best and group[0] not in search.verdicts]
    later.sort(key=max, reverse=True)
    found = _first_passing(task, raw, later, run, search)
    search.longest = max(found) if found is not None else best
    return search


def _first_passing(
    task: Task, raw: str, groups: list[list[int]], run: Runner, search: CutSearch
) -> list[int] | None:
    if not groups:
        return None
    passed = run([task.program(raw[: group[0]]) for group in groups], True)
    search.executed += len(passed)
    for group, ok in zip(groups, passed, strict=False):
        for point in group:
            search.verdicts[point] = "passed" if ok else "failed"
        if ok:
            return group
    return None


def postprocessed(
    task: Task, raw: str, options: PostprocessOptions | None = None, ended: bool = False
) -> tuple[str, str]:
    """The server's post-processing of ``raw`` replayed offline: the text, and the rule that
    ended it ("" when none did: the model stopped or ran out of tokens). ``ended``: the
    model ended ``raw`` itself (done_reason ``stop``), which ``model_end`` may trust."""
    processor = PostProcessor(
        CompletionContext(task.prefix, task.suffix, LANGUAGE), options or PostprocessOptions()
    )
    text = processor.feed(raw) + processor.flush(ended=ended)
    report = processor.report()
    rule = report.rule if report is not None and report.rule != "trim" else ""
    return text, rule


@dataclass(frozen=True)
class OracleVerdict:
    """Post-processing's text against the oracle, for one task.

    ``outcome`` is ``passed``, ``no cut`` (no candidate passes either), ``too early``
    (it kept less than the shortest passing cut), ``too late`` (more than the longest) or
    ``between`` (its length lies between passing cuts, yet it fails); ``distance`` is how
    many characters and lines separate its end from the nearest passing cut.
    """

    outcome: str
    rule: str
    kept: int  # characters of the raw text post-processing kept
    distance_chars: int = 0
    distance_lines: int = 0


def judge(search: CutSearch, text: str, passed: bool, rule: str) -> OracleVerdict:
    raw = search.raw
    kept = _shared_start(raw, text)
    if passed:
        return OracleVerdict("passed", rule, kept)
    if search.shortest is None or search.longest is None:
        return OracleVerdict("no cut", rule, kept)
    if kept < search.shortest:
        gap = raw[kept : search.shortest]
        return OracleVerdict("too early", rule, kept, len(gap), gap.count("\n"))
    if kept > search.longest:
        gap = raw[search.longest : kept]
        return OracleVerdict("too late", rule, kept, len(gap), gap.count("\n"))
    return OracleVerdict("between", rule, kept)


def _shared_start(a: str, b: str) -> int:
    length = min(len(a), len(b))
    for index in range(length):
        if a[index] != b[index]:
            return index
    return length
