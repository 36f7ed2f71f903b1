"""Windows of whole lines: the trimmed prefix keeps its start while the window slides."""

from __future__ import annotations

from codefill.prompt.windows import LONGEST_CUT, MIN_CHARS, whole_lines

FILE = "".join(f"    value_{i} = compute({i}, other={i * 7})\n" for i in range(200))


def test_a_sliding_window_keeps_its_start_until_it_crosses_a_newline() -> None:
    cursor = 5000
    starts = set()
    for typed in range(12):  # each key moves the window's start one character on
        end = cursor + typed
        prefix, _ = whole_lines(FILE[end - 1600 : end], "")
        assert FILE[:end].endswith(prefix) and prefix.startswith("    value_")
        starts.add(end - len(prefix))
    assert len(starts) == 1


def test_short_windows_and_long_first_lines_are_kept() -> None:
    short = FILE[100 : 100 + MIN_CHARS - 1]
    assert whole_lines(short, "") == (short, "")
    one_line = "x" * (LONGEST_CUT + 10) + "\n" + FILE[:MIN_CHARS]
    assert whole_lines(one_line, "")[0] == one_line


def test_the_suffix_loses_its_last_partial_line() -> None:
    suffix = FILE[3000:3600]
    _, trimmed = whole_lines("", suffix)
    assert suffix.startswith(trimmed) and trimmed.endswith("\n")
    assert len(suffix) - len(trimmed) < 40
