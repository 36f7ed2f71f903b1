"""Rendering other files' context in each family's repository layout."""

from __future__ import annotations

from codefill.engine.fake import FakeTokenizer
from codefill.prompt.repository import (
    COMMENTS,
    QWEN,
    STARCODER2,
    ContextSnippet,
    detect_layout,
    entry_parts,
    render_repository,
)
from codefill.prompt.templates import parts_text

UTIL = ContextSnippet("pkg/util.py", "def helper(x):\n    return x + 1")
MAIN = ContextSnippet("pkg/main.py", "VALUE = 3\n")


def control(*tokens: str) -> object:
    return lambda text: text in tokens


def test_layouts_are_found_by_their_control_tokens() -> None:
    assert detect_layout(control("<|repo_name|>", "<|file_sep|>")) is QWEN
    assert detect_layout(control("<repo_name>", "<file_sep>")) is STARCODER2
    assert detect_layout(control("<|file_sep|>")) is COMMENTS  # both markers are needed
    assert detect_layout(control()) is COMMENTS


def test_qwen_layout_names_the_repository_and_each_file() -> None:
    block = render_repository(QWEN, [UTIL, MAIN], "pkg/app.py")
    assert parts_text(block.before) == (
        "<|repo_name|>project\n"
        "<|file_sep|>pkg/util.py\ndef helper(x):\n    return x + 1\n"
        "<|file_sep|>pkg/main.py\nVALUE = 3\n"
        "<|file_sep|>pkg/app.py\n"
    )
    assert block.prefix_head == ""
    markers = [part.text for part in block.before if part.special]
    assert markers == ["<|repo_name|>", "<|file_sep|>", "<|file_sep|>", "<|file_sep|>"]


def test_snippet_text_is_never_a_control_token() -> None:
    typed = ContextSnippet("a.py", "x = '<|file_sep|>'")
    block = render_repository(QWEN, [typed], "b.py")
    assert all(not part.special for part in block.before if "x = " in part.text)


def test_starcoder2_puts_the_current_path_after_the_fim_prefix() -> None:
    block = render_repository(STARCODER2, [UTIL], "pkg/app.py")
    assert parts_text(block.before) == (
        "<repo_name>project<file_sep>pkg/util.py\ndef helper(x):\n    return x + 1\n<file_sep>"
    )
    assert block.prefix_head == "pkg/app.py\n"


def test_other_families_get_path_comments_in_the_files_syntax() -> None:
    script = ContextSnippet("web/app.ts", "export const port = 80;")
    block = render_repository(COMMENTS, [UTIL, script], "pkg/app.py")
    assert block.before == ()
    assert block.prefix_head == (
        "# Path: pkg/util.py\ndef helper(x):\n    return x + 1\n\n"
        "// Path: web/app.ts\nexport const port = 80;\n\n"
        "# Path: pkg/app.py\n"
    )


def test_no_snippets_render_nothing_so_the_prompt_is_unchanged() -> None:
    for layout in (QWEN, STARCODER2, COMMENTS):
        block = render_repository(layout, [], "pkg/app.py")
        assert block.before == () and block.prefix_head == ""


def test_appending_a_snippet_keeps_the_block_before_it() -> None:
    """A stable prefix: the KV cache keeps everything up to the new snippet."""
    tokenizer = FakeTokenizer(("<|repo_name|>", "<|file_sep|>"))
    one = render_repository(QWEN, [UTIL], "pkg/app.py").before
    two = render_repository(QWEN, [UTIL, MAIN], "pkg/app.py").before
    shared = [t for part in one[:-2] for t in tokenizer.tokenize(part.text, special=part.special)]
    grown = [t for part in two for t in tokenizer.tokenize(part.text, special=part.special)]
    assert grown[: len(shared)] == shared


def test_entry_parts_add_up_to_the_block() -> None:
    block = render_repository(QWEN, [UTIL, MAIN], "pkg/app.py")
    entries = [*entry_parts(QWEN, UTIL), *entry_parts(QWEN, MAIN)]
    assert parts_text(block.before) == (
        "<|repo_name|>project\n" + parts_text(entries) + "<|file_sep|>pkg/app.py\n"
    )
    assert (
        parts_text(entry_parts(COMMENTS, UTIL))
        in render_repository(COMMENTS, [UTIL], "").prefix_head
    )
