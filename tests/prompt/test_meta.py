from __future__ import annotations

import pytest

from codefill.errors import BadRequest
from codefill.prompt.meta import CodeContext, parse_prompt


def test_seed_example_with_header_and_markers() -> None:
    prompt = "# Language: Python\n# Path: ~/code/sort.py\ndef quicksort( <SUF> ) <MID>"
    assert parse_prompt(prompt) == CodeContext(
        language="Python", file_path="~/code/sort.py", prefix="def quicksort(", suffix=")"
    )


def test_plain_prompt_is_all_prefix() -> None:
    assert parse_prompt("def quicksort(") == CodeContext(prefix="def quicksort(")


def test_only_one_space_beside_a_marker_belongs_to_it() -> None:
    context = parse_prompt("a  <SUF>  b  <MID>")
    assert (context.prefix, context.suffix) == ("a ", " b ")


def test_other_whitespace_is_code() -> None:
    context = parse_prompt("def f():\n    <SUF>\n    return x\n<MID>")
    assert context.prefix == "def f():\n   "
    assert context.suffix == "\n    return x\n"


def test_markers_without_spaces() -> None:
    context = parse_prompt("x = [<SUF>]<MID>")
    assert (context.prefix, context.suffix) == ("x = [", "]")


def test_language_is_inferred_from_path() -> None:
    context = parse_prompt("# Path: src/app/main.ts\nconst x = ")
    assert context.language == "TypeScript"
    assert context.file_path == "src/app/main.ts"
    assert context.prefix == "const x = "


def test_header_language_wins_over_extension() -> None:
    context = parse_prompt("# Path: build.py\n# Language: Starlark\nx")
    assert (context.language, context.file_path, context.prefix) == ("Starlark", "build.py", "x")


def test_unknown_extension_gives_empty_language() -> None:
    assert parse_prompt("# Path: notes.xyz\nx").language == ""


def test_header_keys_ignore_case_and_spacing() -> None:
    context = parse_prompt("#language:Go\r\n#  PATH :  a b.go \nfunc")
    assert (context.language, context.file_path, context.prefix) == ("Go", "a b.go", "func")


def test_header_only_at_the_start() -> None:
    prompt = "x = 1\n# Language: Python\n"
    assert parse_prompt(prompt) == CodeContext(prefix=prompt)


def test_repeated_header_key_ends_the_header() -> None:
    context = parse_prompt("# Language: C\n# Language: Go\nint")
    assert context.language == "C"
    assert context.prefix == "# Language: Go\nint"


def test_suffix_without_mid_runs_to_the_end() -> None:
    context = parse_prompt("a <SUF> b")
    assert (context.prefix, context.suffix) == ("a", "b")


def test_mid_without_suf_means_empty_suffix() -> None:
    context = parse_prompt("a <MID>")
    assert (context.prefix, context.suffix) == ("a", "")


def test_whitespace_after_mid_is_ignored() -> None:
    assert parse_prompt("a <SUF> b <MID> \n").suffix == "b"


@pytest.mark.parametrize(
    "prompt",
    ["a <SUF> b <SUF> c <MID>", "a <MID> b <SUF> c", "a <SUF> b <MID> c", "a <MID> <MID>"],
)
def test_markers_in_odd_places_are_refused(prompt: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_prompt(prompt)
    assert caught.value.param == "prompt"


def test_empty_prompt() -> None:
    assert parse_prompt("") == CodeContext()


# CodeLlama's infill form, as cmp-ai's Ollama backend builds it:
# '<PRE> ' .. lines_before .. ' <SUF>' .. lines_after .. ' <MID>'
def _codellama(before: str, after: str) -> str:
    return "<PRE> " + before + " <SUF>" + after + " <MID>"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("def factorial(n):\n    if", "    return ans\n"),
        ("x = ", ""),
        ("", "\tindented\n"),
        ("ends with space ", "  two spaces first"),
        ("a\n", "\n"),
    ],
)
def test_codellama_form_keeps_prefix_and_suffix_byte_for_byte(before: str, after: str) -> None:
    context = parse_prompt(_codellama(before, after))
    assert (context.prefix, context.suffix) == (before, after)


def test_codellama_form_after_a_header() -> None:
    context = parse_prompt("# Language: Python\n# Path: a.py\n" + _codellama("x = [", "]\n"))
    assert context == CodeContext(language="Python", file_path="a.py", prefix="x = [", suffix="]\n")


def test_codellama_form_without_suf_or_mid() -> None:
    assert parse_prompt("<PRE> a = 1 <MID>") == CodeContext(prefix="a = 1")
    assert parse_prompt("<PRE> a = 1") == CodeContext(prefix="a = 1")
    assert parse_prompt("<PRE>a <SUF>b") == CodeContext(prefix="a", suffix="b")


def test_pre_elsewhere_is_code_in_the_seed_form() -> None:
    context = parse_prompt("x = '<PRE>' <SUF> y <MID>")
    assert (context.prefix, context.suffix) == ("x = '<PRE>'", "y")


@pytest.mark.parametrize(
    "prompt", ["<PRE> a <PRE> b <SUF>c <MID>", "<PRE> a <MID> b <SUF>c", "<PRE> a <SUF>b <MID> c"]
)
def test_codellama_form_refuses_what_the_seed_form_refuses(prompt: str) -> None:
    with pytest.raises(BadRequest):
        parse_prompt(prompt)
