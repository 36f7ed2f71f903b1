from __future__ import annotations

from codefill.postprocess import cut_line_end_repetition, cut_repeated_lines
from codefill.postprocess.repetition import ends_in_repetition, nearly_equal


def test_five_identical_lines_keep_the_first_and_end_there() -> None:
    text = "x = load()\n" + '    print("hello")\n' * 6 + "done()\n"
    assert cut_repeated_lines(text) == 'x = load()\n    print("hello")\n'


def test_four_identical_lines_are_left_alone() -> None:
    text = "  foo();\n" * 4 + "}\n"
    assert cut_repeated_lines(text) == text


def test_near_identical_lines_are_a_run() -> None:
    lines = [f'    console.log("processing item number {i}");' for i in range(1, 7)]
    text = "\n".join(lines) + "\n"
    assert cut_repeated_lines(text) == lines[0] + "\n"


def test_lines_that_differ_enough_are_not_a_run() -> None:
    text = "".join(f"    v[{i}] = {i * i};\n" for i in range(8))
    assert cut_repeated_lines(text) == text


def test_nested_closers_differ_by_indentation() -> None:
    text = "".join(" " * (4 * depth) + "}\n" for depth in range(6, -1, -1))
    assert cut_repeated_lines(text) == text


def test_blank_lines_inside_a_run_neither_count_nor_break_it() -> None:
    text = "import os\n\n" * 5 + "import sys\n"
    assert cut_repeated_lines(text) == "import os\n"


def test_nearly_equal() -> None:
    assert nearly_equal("    return x", "    return x")
    assert nearly_equal('assert parse("2024-01-01") == 1', 'assert parse("2024-01-02") == 1')
    assert not nearly_equal("x = 1", "x = 2")  # short lines must match exactly
    assert not nearly_equal("self.a = a", "self.b = b")
    assert not nearly_equal("a" * 300 + "b", "a" * 300 + "c")  # long lines too


def test_final_line_stuck_in_a_loop_is_dropped() -> None:
    text = 'def f():\n    return "' + "ab" * 40
    assert cut_line_end_repetition(text) == "def f():\n"
    text = "let s = vec![" + "0, " * 20
    assert cut_line_end_repetition(text) == ""


def test_finished_line_ending_in_a_loop_is_dropped_and_ends_the_completion() -> None:
    text = "int x = 1;\n// TODO TODO TODO TODO TODO TODO TODO\nint y = 2;\n"
    assert cut_line_end_repetition(text) == "int x = 1;\n"


def test_long_pattern_repeated_four_times() -> None:
    assert ends_in_repetition("    <tr>" + "<td>x</td>" * 4, final=False)
    assert not ends_in_repetition("    <tr>" + "<td>x</td>" * 3, final=False)


def test_divider_comments_survive_unless_the_completion_ends_inside_one() -> None:
    text = "# " + "-" * 40 + "\nSECTION = 1\n"
    assert cut_line_end_repetition(text) == text
    assert cut_line_end_repetition("x = 1\n// " + "=" * 60) == "x = 1\n"


def test_ordinary_code_is_not_a_loop() -> None:
    text = 'fn main() {\n    let v = vec![0, 0, 0];\n    println!("{:?}", v);\n}\n'
    assert cut_line_end_repetition(text) == text
    assert not ends_in_repetition("x = 1" + " " * 40, final=True)
