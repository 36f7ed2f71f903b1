"""The post-processing report: which rule cut, why, and the raw text it removed."""

from __future__ import annotations

import pytest

from codefill.postprocess import CompletionContext, PostprocessOptions, PostProcessor
from codefill.postprocess.lines import LineJudge
from codefill.postprocess.processor import judges_for
from codefill.postprocess.report import TRIM_RULE, build_report


def run(context: CompletionContext, *chunks: str) -> PostProcessor:
    processor = PostProcessor(context)
    for chunk in chunks:
        processor.feed(chunk)
        if processor.stopped:
            break
    processor.flush()
    return processor


def shown(context: CompletionContext, *chunks: str) -> str:
    processor = PostProcessor(context)
    return "".join(processor.feed(c) for c in chunks) + processor.flush()


PY_BLOCK = CompletionContext("def f(x):\n    ", "", "Python")


@pytest.mark.parametrize(
    ("context", "raw", "rule", "removed"),
    [
        (PY_BLOCK, "return x\n\nprint(f(1))\n", "scope", "\n\nprint(f(1))\n"),
        (
            CompletionContext("x = foo(", ")\n", "Python"),
            "a, b)\ny = 2\n",
            "inline_echo",
            ")\ny = 2\n",
        ),
        (
            CompletionContext("total = price ", "\n", "Python"),
            "+ tax\n",
            TRIM_RULE,
            "\n",
        ),
        (
            CompletionContext("import os\n", "", "Python"),
            "import sys\n\ndef main():\n    pass\n",
            "language_stop",
            "\n\ndef main():\n    pass\n",
        ),
        (
            CompletionContext("def f(x):\n", "    return y\n", "Python"),
            "    y = x + 1\n    return y\n",
            "suffix_echo",
            "    return y\n",
        ),
        (
            CompletionContext("items = [\n", "", "Python"),
            "    1,\n" * 7,
            "repeated_lines",
            "\n" + "    1,\n" * 6,
        ),
        (
            CompletionContext("x = ", "", "Python"),
            "'" + "ab" * 40,
            "line_end_repetition",
            "'" + "ab" * 40,
        ),
    ],
)
def test_the_rule_that_cut_and_the_raw_text_it_removed(
    context: CompletionContext, raw: str, rule: str, removed: str
) -> None:
    processor = run(context, raw)
    report = processor.report()
    assert report is not None
    assert (report.rule, report.removed) == (rule, removed)
    assert report.reason.endswith(".") and " " in report.reason
    assert shown(context, raw) + report.removed == raw


def test_nothing_removed_is_none() -> None:
    processor = run(PY_BLOCK, "return x + 1")
    assert processor.report() is None


def test_no_report_before_the_completion_is_decided() -> None:
    processor = PostProcessor(PY_BLOCK)
    processor.feed("return x\n")
    assert processor.report() is None


def test_a_stream_cut_mid_way_reports_what_had_arrived() -> None:
    """A rule that stops the stream sees only what came before the stop, chunk by chunk."""
    chunks = ["return", " x\n", "\n", "print", "(f(1))\n", "never fed"]
    processor = run(PY_BLOCK, *chunks)
    assert processor.stopped
    report = processor.report()
    assert report is not None and report.rule == "scope"
    assert report.removed == "\n\nprint(f(1))\n"


def test_disabled_post_processing_reports_nothing() -> None:
    processor = PostProcessor(PY_BLOCK, PostprocessOptions(enabled=False))
    processor.feed("return x\n\nprint(1)\n")
    processor.flush()
    assert processor.report() is None


def test_trimming_that_keeps_a_shorter_indentation_reports_the_raw_tail() -> None:
    context = CompletionContext("def f():\n    ", "return 1\n", "Python")
    raw = "x = 1  \n\n    "
    report = run(context, raw).report()
    assert report is not None and report.rule == TRIM_RULE
    assert shown(context, raw) == "x = 1\n    "
    assert report.removed == "  \n\n    "


def test_every_rule_has_a_name_and_a_one_sentence_reason() -> None:
    options = PostprocessOptions()
    judges: list[LineJudge] = judges_for(CompletionContext("x = f(", ")\n", "Python"), options)
    names = [judge.rule for judge in judges]
    assert len(names) == len(set(names)) == 11
    for judge in judges:
        assert judge.reason[0].isupper() and judge.reason.endswith(".")
        assert judge.reason.count(". ") == 0


def test_build_report_from_parts() -> None:
    assert build_report("abc", "abc", None) is None
    trimmed = build_report("abc  ", "abc", None)
    assert trimmed is not None and trimmed.removed == "  "
