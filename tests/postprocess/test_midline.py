from __future__ import annotations

from codefill.postprocess import CompletionContext, PostprocessOptions, PostProcessor, postprocess
from codefill.postprocess.midline import line_break_pad, mid_line_end

SUM = CompletionContext(
    "def f(numbers):\n    for n in numbers:\n        sum_va", ", prod_value\n", "Python"
)
SPLIT = CompletionContext(
    "def f(x):\n    out = []\n    for i in x:\n        out.appe", "urn sorted(out)\n", "Python"
)
BASE = CompletionContext(
    'def f(x, base):\n    ret = ""\n    while x > 0:\n        ret = str(x % base',
    "       x //= base\n    return ret\n",
    "Python",
)
OFF = PostprocessOptions(mid_line_ends=False)


def test_a_middle_of_several_lines_ends_where_a_later_line_runs_into_the_suffix() -> None:
    text = "lue += n\n        prod_value *= n\n\n    return sum_value, prod_value\n\n\ndef g():\n"
    assert postprocess(text, SUM) == "lue += n\n        prod_value *= n\n\n    return sum_value"
    assert postprocess(text, SUM, OFF) == "lue += n"


def test_without_such_a_line_only_the_first_line_stays() -> None:
    text = "lue += n\n        prod_value *= n\n    return sum_value\n"
    assert postprocess(text, SUM) == "lue += n"
    # Four lines pass without the end: the first line alone, whatever else follows.
    late = (
        "lue += n\n        a()\n        b()\n        c()\n        d()\n    return s, prod_value\n"
    )
    assert postprocess(late, SUM) == "lue += n"
    # A line at the top level ends the wait.
    assert postprocess("lue += n\nprint(sum_value, prod_value)\n", SUM) == "lue += n"


def test_a_short_rest_of_the_line_is_not_waited_for() -> None:
    context = CompletionContext("    total = sum(", ")\n    return total\n", "Python")
    processor = PostProcessor(context)
    assert processor.feed("prices)\n") == "prices"
    assert processor.stopped


def test_a_split_word_ends_the_middle_where_a_line_starts_with_it() -> None:
    text = "nd(i)\n    return out\n"
    assert postprocess(text, SPLIT) == "nd(i)\n    ret"
    assert mid_line_end("out.appe", "    return out", "urn sorted(out)") == 7
    # The word must end with the suffix's part and go on the same way.
    assert mid_line_end("out.appe", "    returned = 1", "urn sorted(out)") is None
    assert mid_line_end("out.appe", "    turn(out)", "urn sorted(out)") is None
    # The cursor must split a word: after ``(`` the suffix's word is whole.
    assert mid_line_end("f(", "    return x", "urn sorted(out)") is None


def test_the_line_end_echo_needs_code_before_it_and_a_word_in_it() -> None:
    assert mid_line_end("x = f(", "    return a, prod_value", ", prod_value") == 12
    assert mid_line_end("x = f(", "    , prod_value", ", prod_value") is None
    assert mid_line_end("x = f(", "    y = g(a)])", ")])") is None


def test_python_code_that_cannot_share_the_line_starts_the_next_one() -> None:
    text = ") + ret\n    return ret\n\ndef main():\n"
    assert postprocess(text, BASE) == ") + ret\n "
    assert postprocess(text, BASE, OFF) == ") + ret"
    assert line_break_pad("    primes = ['2', '3']", " total = 0\n") == 3


def test_code_that_may_go_on_the_same_line_does_not_break_it() -> None:
    assert line_break_pad("    x = a", " and b\n") is None  # an operator word
    assert line_break_pad("    x = f(a", " b)\n") is None  # a bracket still open
    assert line_break_pad("    x = a +", " b\n") is None  # no operand at the end
    assert line_break_pad("    x = a", "b\n") is None  # no whitespace: the same name
    assert line_break_pad("        x = a", "                   y = 1\n") is None  # too deep
    context = CompletionContext("    x = a", " y\n", "JavaScript")
    assert postprocess(" + 1\n    z = 2\n", context) == " + 1"  # Python only


def test_the_next_line_must_indent_enough_for_the_break() -> None:
    assert postprocess(") + ret\nreturn ret\n", BASE) == ") + ret"


def test_a_cut_inside_the_first_line_still_wins_while_waiting() -> None:
    context = CompletionContext("    return [", " for x in numbers]\n", "Python")
    text = "(x - lo) / span for x in numbers]\n    y = 1\n"
    assert postprocess(text, context) == "(x - lo) / span"


def test_streaming_holds_the_first_line_until_the_end_is_known() -> None:
    processor = PostProcessor(SUM)
    assert processor.feed("lue += n\n") == ""
    assert processor.feed("        prod_value *= n\n") == ""
    assert processor.feed("    return sum_value, prod_value\n") == (
        "lue += n\n        prod_value *= n\n    return sum_value"
    )
    assert processor.stopped
    report = processor.report()
    assert report is not None and report.rule == "single_line"
