"""Rule 9: the model's own end markers."""

from __future__ import annotations

from codefill.postprocess import CompletionContext, PostProcessor
from codefill.postprocess.markers import cut_end_markers


def test_a_markdown_fence_ends_the_code() -> None:
    assert cut_end_markers("x = 1\n```\n\nThis code sets x.\n") == "x = 1\n"
    assert cut_end_markers("x = 1\n    ```python\n") == "x = 1\n"


def test_a_fence_on_the_first_line_is_left_alone() -> None:
    assert cut_end_markers("```python\nx = 1\n") == "```python\nx = 1\n"


def test_an_end_or_padding_token_written_as_text_ends_it_where_it_stands() -> None:
    assert cut_end_markers("return x<|endoftext|>junk") == "return x"
    assert cut_end_markers("a\nb<|fim_pad|><|fim_pad|>") == "a\nb"
    assert cut_end_markers("a<file_sep>b") == "a"
    assert cut_end_markers("x = '<|not a token|>'\n") == "x = '<|not a token|>'\n"


def test_streaming_stops_at_the_marker() -> None:
    processor = PostProcessor(CompletionContext("import os\n", "", "Python"))
    assert processor.feed("x = 1\n") == "x = 1"
    processor.feed("```\n")
    assert processor.stopped
    assert processor.flush() == ""
    report = processor.report()
    assert report is not None and report.rule == "end_marker"
