"""Rule 7: the suffix re-typed from any point of the completion, whole text and streamed."""

from __future__ import annotations

from codefill.postprocess import CompletionContext, PostProcessor
from codefill.postprocess.echo import cut_echo_anywhere

FACTORS = CompletionContext(
    "def factors(n):\n    i = 2\n    while",
    "\n        if n % i == 0:\n            n //= i\n        else:\n            i += 1\n",
    "Python",
)


def test_a_mid_line_echo_on_a_later_line_keeps_the_line_up_to_it() -> None:
    context = CompletionContext("x = foo(", ")\n    return x\n", "Python")
    assert cut_echo_anywhere("a,\n        b)\n    return x\n", context) == "a,\n        b"


def test_the_echo_may_start_inside_a_word() -> None:
    context = CompletionContext("y = compute(", "ength)\n    return y * 2\n", "Python")
    assert cut_echo_anywhere("a,\n        max_length)\n    return y * 2\n", context) == (
        "a,\n        max_l"
    )


def test_whole_line_echo_at_the_same_indentation() -> None:
    context = CompletionContext("def f(x):\n", "    return total\n", "Python")
    assert cut_echo_anywhere("    total = x + 1\n    return total\n", context) == (
        "    total = x + 1\n"
    )
    # One level deeper it belongs to a block of the completion's own: no echo.
    deeper = "    if x:\n        return total\n"
    assert cut_echo_anywhere(deeper, context) == deeper


def test_short_lines_count_only_when_the_lines_after_them_echo_too() -> None:
    context = CompletionContext("def f(x):\n    if x:\n", "    else:\n        return 0\n", "Python")
    kept = "        y = 1\n    else:\n        y = 2\n"
    assert cut_echo_anywhere(kept, context) == kept
    echoed = "        y = 1\n    else:\n        return 0\n    return y\n"
    assert cut_echo_anywhere(echoed, context) == "        y = 1\n"


def test_a_rewritten_block_header_then_a_copy_of_its_body_is_cut_with_the_header() -> None:
    raw = " i <= n:\n        while n % i == 0:\n            n //= i\n"
    raw += "        else:\n            i += 1\n"
    assert cut_echo_anywhere(raw, FACTORS) == " i <= n:\n"


def test_a_rewritten_line_that_opens_no_block_is_not_taken_for_a_header() -> None:
    context = CompletionContext(
        "def f(x):\n    if x:\n", "\n        return False\n    return False\n", "Python"
    )
    raw = "        return True\n    return False\n"
    assert cut_echo_anywhere(raw, context) == raw


def test_a_short_echo_counts_at_the_end_of_the_completion() -> None:
    context = CompletionContext("def f():\n", "    return x\n\nprint(f())\n", "Python")
    assert cut_echo_anywhere("    x = 1\n    return x", context) == "    x = 1\n"


def test_streamed_lines_of_a_possible_echo_wait_until_it_is_decided() -> None:
    processor = PostProcessor(FACTORS)
    assert processor.feed(" i <= n:\n") == " i <= n:"
    assert processor.feed("        while n % i == 0:\n") == ""  # may be a rewritten header
    assert processor.feed("            n //= i\n") == ""
    assert not processor.stopped
    assert processor.feed("        else:\n") == ""
    assert not processor.stopped
    assert processor.feed("            i += 1\n") == ""
    assert processor.stopped
    assert processor.flush() == ""
    report = processor.report()
    assert report is not None and report.rule == "echo_anywhere"


def test_a_possible_echo_that_goes_elsewhere_is_released() -> None:
    processor = PostProcessor(FACTORS)
    processor.feed(" i <= n:\n        while n % i == 0:\n")
    shown = processor.feed("            n -= 1\n")
    assert "while n % i == 0:" in shown and not processor.stopped
