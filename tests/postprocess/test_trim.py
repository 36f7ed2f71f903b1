from __future__ import annotations

from codefill.postprocess import CompletionContext, trim_whitespace

AT_END = CompletionContext("def f(x):", "\n\ndef g():\n", "Python")


def test_trailing_spaces_and_blank_lines_go_but_inner_newlines_stay() -> None:
    assert trim_whitespace("\n    return x  \n\n   \n", AT_END) == "\n    return x"
    assert trim_whitespace("\n    a = 1\n\n    return a\t", AT_END) == "\n    a = 1\n\n    return a"


def test_empty_stays_empty_and_whitespace_only_becomes_empty() -> None:
    assert trim_whitespace("", AT_END) == ""
    assert trim_whitespace("\n", AT_END) == ""
    assert trim_whitespace(" \n\t\n", AT_END) == ""


def test_before_code_one_newline_and_the_next_indentation_stay() -> None:
    context = CompletionContext("def f(x):\n", "    return y\n", "Python")
    assert trim_whitespace("    y = x * 2\n\n\n", context) == "    y = x * 2\n"
    context = CompletionContext("func f() {\n\t", "return nil\n}\n", "Go")
    assert trim_whitespace("log()  \n\t", context) == "log()\n\t"


def test_spaces_before_code_that_follows_directly_stay() -> None:
    context = CompletionContext("func f() {\n\t", "return nil\n}\n", "Go")
    assert trim_whitespace("log()  ", context) == "log()  "
    context = CompletionContext("def f():\n    ", "compute()\n", "Python")
    assert trim_whitespace("result = ", context) == "result = "


def test_mid_line_spaces_before_code_stay() -> None:
    context = CompletionContext("total = price ", "+ tax\n", "Python")
    assert trim_whitespace("* count ", context) == "* count "
    context = CompletionContext("if (", " ) {\n", "C")
    assert trim_whitespace("x > 0 ", context) == "x > 0"


def test_indentation_before_code_alone_stays() -> None:
    context = CompletionContext("def f():\n  ", "return 1\n", "Python")
    assert trim_whitespace("  ", context) == "  "
    assert trim_whitespace("  \n", context) == ""
    spaced = CompletionContext("def f():\n  ", " return 1\n", "Python")
    assert trim_whitespace("  ", spaced) == ""


def test_mid_line_a_line_break_before_code_after_whitespace_stays() -> None:
    context = CompletionContext("    r = str(x", "   x //= 2\n", "Python")
    assert trim_whitespace(") + r\n ", context) == ") + r\n "
    direct = CompletionContext("    r = str(x", ")\n", "Python")
    assert trim_whitespace(") + r\n ", direct) == ") + r"
