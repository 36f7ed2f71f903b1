"""Rule 8: brackets and strings balanced against the suffix."""

from __future__ import annotations

from codefill.postprocess import CompletionContext, PostProcessor
from codefill.postprocess.brackets import BracketScanner, cut_unbalanced


def test_a_closer_the_suffix_brings_is_cut_on_the_cursor_line() -> None:
    context = CompletionContext("    return sum(x for x in", ")\n", "Python")
    assert cut_unbalanced(" items if x > 0)\n\nprint(1)\n", context) == " items if x > 0"


def test_a_closer_on_a_later_line_is_cut_too() -> None:
    context = CompletionContext("    r = foo(\n        a,\n", "    )\n    return r\n", "Python")
    assert cut_unbalanced("        b,\n    )\n    return r\n", context) == "        b,\n    "


def test_brackets_the_completion_opens_itself_may_close() -> None:
    context = CompletionContext("print(foo(", ")\n", "Python")
    assert cut_unbalanced("a, (b))\n", context) == "a, (b))\n"
    assert cut_unbalanced("a, (b)))\n", context) == "a, (b))"


def test_a_bracket_the_suffix_does_not_close_is_the_completions_to_close() -> None:
    context = CompletionContext("x = foo(", "\ny = 2\n", "Python")
    assert cut_unbalanced("a, b)\nz = 3\n", context) == "a, b)\nz = 3\n"


def test_a_string_the_suffix_ends_is_not_ended_by_the_completion() -> None:
    context = CompletionContext('print("Hello, ', '")\n', "Python")
    assert cut_unbalanced('world!")\n', context) == "world!"
    docstring = CompletionContext('def f():\n    """Return the', ' sum.\n    """\n', "Python")
    assert cut_unbalanced(' total.\n    """\n    return 1\n', docstring) == " total.\n    "


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    context = CompletionContext('x = f("(", # (\n    ', ")\n", "Python")
    assert cut_unbalanced("')', 1)\n", context) == "')', 1"
    slashes = CompletionContext("int x = f(a, // (\n    ", ");\n", "C")
    assert cut_unbalanced("b);\n", slashes) == "b"


def test_without_open_brackets_the_rule_does_nothing() -> None:
    context = CompletionContext("def f():\n    ", "\n    return 1\n", "Python")
    assert cut_unbalanced("x = 1)\n", context) == "x = 1)\n"


def test_the_scanner_tracks_escapes_and_one_line_strings() -> None:
    scanner = BracketScanner(hash_comments=True)
    scanner.feed('a = "\\")" + (b\n')
    assert scanner.stack == ["("] and scanner.quote is None
    scanner.feed("'unterminated (\n")
    assert scanner.quote is None and scanner.stack == ["("]


def test_streaming_stops_at_the_closer() -> None:
    context = CompletionContext("    r = foo(\n        a,\n", "        c)\n", "Python")
    processor = PostProcessor(context)
    assert processor.feed("        b,\n") == "        b,"
    assert processor.feed("        d * 2") == ""
    assert not processor.stopped
    processor.feed(")\n")
    assert processor.stopped
    report = processor.report()
    assert report is not None and report.rule == "brackets"
