from __future__ import annotations

from codefill.postprocess.context import (
    CompletionContext,
    CursorPlace,
    cursor_line,
    cursor_place,
    first_suffix_code_line,
    indent_width,
    opens_block,
)


def test_cursor_place_mid_line_needs_code_on_both_sides() -> None:
    assert cursor_place(CompletionContext("x = foo(", ")\n")) is CursorPlace.MID_LINE
    assert cursor_place(CompletionContext("def f(x):\n", "    return y\n")) is (
        CursorPlace.BEFORE_CODE
    )
    assert cursor_place(CompletionContext("x = 1", "  \ny = 2")) is CursorPlace.LINE_END
    assert cursor_place(CompletionContext("", "")) is CursorPlace.LINE_END


def test_indent_width_counts_a_tab_as_four_columns() -> None:
    assert indent_width("\treturn nil") == 4
    assert indent_width("    return nil") == 4
    assert indent_width("\t  x") == 6
    assert indent_width("x") == 0
    assert indent_width("   ") == 3


def test_cursor_line_is_the_text_before_the_cursor_on_its_line() -> None:
    assert cursor_line("def f():\n    ret") == "    ret"
    assert cursor_line("def f():\n") == ""
    assert cursor_line("x") == "x"


def test_opens_block_in_several_languages() -> None:
    assert opens_block("def f(x):")
    assert opens_block("    if x:  # why not")
    assert opens_block("function f() {")
    assert opens_block("fn main() -> Result<(), Error> {  // entry")
    assert opens_block("    foo(")
    assert opens_block("x = [")
    assert not opens_block("    return x")
    assert not opens_block("int x = 1; // {")
    assert not opens_block("#include <stdio.h>")
    assert not opens_block("# Example:")
    assert not opens_block("    // TODO: {")


def test_first_suffix_code_line_reads_lines_as_they_are_in_the_file() -> None:
    # Only indentation before the cursor: the suffix's first line is a whole line.
    assert first_suffix_code_line(CompletionContext("if x:\n    ", "return y\n")) == (
        "    return y"
    )
    # Code before the cursor: the suffix's first line is the tail of the prefix's line.
    assert first_suffix_code_line(CompletionContext("x = foo(", ")\n\n  }\n")) == "  }"
    assert first_suffix_code_line(CompletionContext("x", "\n \n\t\n")) is None
    assert first_suffix_code_line(CompletionContext("x", "")) is None
