from __future__ import annotations

import pytest

from codefill.postprocess import (
    CompletionContext,
    PostprocessOptions,
    cut_inline_echo,
    cut_suffix_echo,
    postprocess,
)


def test_completion_ending_with_the_suffix_first_line_is_cut_there() -> None:
    context = CompletionContext("def f(x):\n", "    return y\n", "Python")
    assert cut_suffix_echo("    y = x * 2\n    return y\n", context) == "    y = x * 2\n"


def test_completion_that_repeats_the_suffix_and_runs_on_is_cut_at_the_repeat() -> None:
    context = CompletionContext("def f(x):\n    ", "\n    return y\n\n\ndef g():\n", "Python")
    text = "y = x * 2\n    return y\n\n\ndef g():\n    pass\n"
    assert cut_suffix_echo(text, context) == "y = x * 2\n"


def test_blank_suffix_lines_are_skipped_when_finding_the_line_to_match() -> None:
    context = CompletionContext("const items = [];\n", "\n\nexport default items;\n", "TypeScript")
    text = "items.push(1);\nexport default items;\n"
    assert cut_suffix_echo(text, context) == "items.push(1);\n"


def test_duplicated_closing_brace_is_dropped() -> None:
    context = CompletionContext("function f() {\n  if (a) {\n    b();\n", "  }\n}\n", "JavaScript")
    assert cut_suffix_echo("    c();\n  }\n  return 1;\n", context) == "    c();\n"


def test_a_closer_of_an_inner_block_is_not_an_echo() -> None:
    context = CompletionContext("fn main() {\n", "}\n", "Rust")
    text = "    if ok {\n        run();\n    }\n}\n"
    assert cut_suffix_echo(text, context) == "    if ok {\n        run();\n    }\n"


def test_trailing_whitespace_and_tabs_versus_spaces_do_not_matter() -> None:
    context = CompletionContext("func f() error {\n", "\treturn nil  \n}\n", "Go")
    assert cut_suffix_echo("\tlog()\n    return nil\n}\n", context) == "\tlog()\n"


def test_first_line_is_compared_when_only_indentation_precedes_the_cursor() -> None:
    context = CompletionContext("public void run() {\n    ", "\n    close();\n}\n", "Java")
    assert cut_suffix_echo("close();\n}", context) == ""
    mid_line = CompletionContext("    close", "\n    close();\n}\n", "Java")
    assert cut_suffix_echo("();\n    close();\n", mid_line) == "();\n"


def test_no_suffix_means_nothing_to_echo() -> None:
    context = CompletionContext("int main() {\n", "", "C")
    assert cut_suffix_echo("    return 0;\n}\n", context) == "    return 0;\n}\n"


def test_inline_echo_of_a_closing_bracket() -> None:
    context = CompletionContext("x = foo(", ")\n", "Python")
    assert cut_inline_echo("a, b)", context) == "a, b"


def test_inline_closer_that_the_completion_needs_stays() -> None:
    context = CompletionContext("print(foo(", ")\n", "Python")
    assert cut_inline_echo("x)", context) == "x)"
    assert cut_inline_echo("x))", context) == "x)"


def test_inline_echo_of_the_rest_of_a_c_like_line() -> None:
    context = CompletionContext("    if (", ") {\n", "C++")
    assert cut_inline_echo("x > 0) {", context) == "x > 0"
    assert cut_inline_echo("x > 0)", context) == "x > 0"
    context = CompletionContext("    let total = ", ";\n", "Rust")
    assert cut_inline_echo("a + b;", context) == "a + b"


def test_inline_echo_of_a_closing_quote() -> None:
    context = CompletionContext('    name = "', '"\n', "Python")
    assert cut_inline_echo('world"', context) == "world"
    context = CompletionContext("console.log(`", "`);\n", "JavaScript")
    assert cut_inline_echo("value: ${v}`);", context) == "value: ${v}"


def test_inline_echo_of_words_needs_a_token_boundary() -> None:
    context = CompletionContext("n = len(", "xs)\n", "Python")
    assert cut_inline_echo("x", context) == "x"
    assert cut_inline_echo("xs)", context) == ""
    context = CompletionContext("    call(a, ", "b)\n", "Go")
    assert cut_inline_echo("c, b)", context) == "c, "


def test_inline_echo_that_starts_inside_a_token() -> None:
    context = CompletionContext(
        "    h = hashlib.md5(text.", "code('ascii')).hexdigest()\n", "Python"
    )
    assert cut_inline_echo("encode('ascii'))", context) == "en"
    healed = CompletionContext("    h = hashlib.md5(text.en", "code('ascii'))\n", "Python")
    assert cut_inline_echo("code('ascii'))", healed) == ""
    assert cut_inline_echo("encode('ascii'))", healed) == "en"


def test_a_short_echo_splits_a_word_only_when_it_is_the_whole_rest() -> None:
    context = CompletionContext("x = foo_", "bar\n", "Python")
    assert cut_inline_echo("bazbar", context) == "baz"
    context = CompletionContext("x = ", "bar + baz\n", "Python")
    assert cut_inline_echo("foobar", context) == "foobar"


def test_inline_echo_after_indentation_with_code_after_the_cursor() -> None:
    context = CompletionContext("def f():\n    ", "compute()\n", "Python")
    assert cut_inline_echo("result = compute()", context) == "result = "
    assert postprocess("result = compute()\n    return result\n", context) == "result = "


def test_inline_echo_needs_code_after_the_cursor_on_its_line() -> None:
    context = CompletionContext("x = foo(", "\n)\n", "Python")
    assert cut_inline_echo("a)\n", context) == "a)\n"


def test_a_finished_line_that_starts_the_suffix_line_is_an_echo() -> None:
    context = CompletionContext(
        prefix="def prod_signs(arr):\n",
        suffix="    prod = 0 if 0 in arr else (-1) ** len(arr)\n    return prod\n",
        language="Python",
    )
    text = "    if not arr:\n        return None\n    prod = 0\n    for i in arr:\n"
    assert cut_suffix_echo(text, context) == "    if not arr:\n        return None\n"


def test_short_starts_are_not_echoes() -> None:
    context = CompletionContext(prefix="def f():\n", suffix="    x = 0 if y else 1\n")
    assert cut_suffix_echo("    x = 0\n    y = 2\n", context) == "    x = 0\n    y = 2\n"


# (language, prefix, suffix, completion, kept): the rule for later lines that re-type the
# suffix's first code lines in other words, and the lines it must leave alone
RETYPING = {
    "same first word, mostly the same text": (
        "Python",
        "def sort_even(l):\n    evens = l[::2]\n",
        "    evens.sort()\n    ans = []\n    return ans\n",
        "    odds = l[1::2]\n    evens.sort(key=abs)\n    ans = []\n",
        "    odds = l[1::2]\n",
    ),
    "the third suffix line counts too": (
        "Python",
        "def mean(xs):\n",
        "    s = sum(xs)\n    n = len(xs)\n    return s / n\n",
        "    xs = list(xs)\n    return s / len(xs)\n",
        "    xs = list(xs)\n",
    ),
    "a block the completion opens may mirror one of the suffix": (
        "Python",
        "def depth(s):\n    d = 0\n    for c in s:\n",
        "        elif c == ')':\n            d -= 1\n            out.append(c)\n",
        "        if c == '(':\n            d += 1\n            out.append(c)\n",
        "        if c == '(':\n            d += 1\n            out.append(c)\n",
    ),
    "the body of a new block is not an echo of a similar body": (
        "Python",
        "    if gpa > 3.7:\n        grade = 'A'\n",
        "    elif gpa > 3.0:\n        grade = 'B'\n",
        "    elif gpa > 3.3:\n        grade = 'A-'\n",
        "    elif gpa > 3.3:\n        grade = 'A-'\n",
    ),
    "different first words are not echoes": (
        "JavaScript",
        "function f() {\n  let a = 1;\n",
        "  let b = 2;\n  return a + b;\n}\n",
        "  a += 1;\n  const b2 = 2;\n",
        "  a += 1;\n  const b2 = 2;\n",
    ),
    "lines of brackets alone are left to the exact rule": (
        "C",
        "void f() {\n  if (a) {\n",
        "    g();\n  }\n  h();\n}\n",
        "    x();\n  }\n",
        "    x();\n  }\n",
    ),
}


@pytest.mark.parametrize("case", RETYPING.values(), ids=RETYPING.keys())
def test_later_lines_that_retype_the_suffix(case: tuple[str, str, str, str, str]) -> None:
    language, prefix, suffix, text, kept = case
    context = CompletionContext(prefix=prefix, suffix=suffix, language=language)
    assert cut_suffix_echo(text, context) == kept


def test_the_suffix_line_re_typed_at_its_own_indentation_after_a_line_break_is_an_echo() -> None:
    # The cursor sits inside the indentation of the suffix's first line.
    context = CompletionContext("d = {\n    'a': 1,\n   ", "    'c': 3\n}\n", "Python")
    text = " 'b': 2,\n    'c': 3\n}\n"
    assert cut_suffix_echo(text, context) == " 'b': 2,\n"
    assert postprocess(text, context) == " 'b': 2,\n"
    off = PostprocessOptions(own_line_echo=False)
    assert postprocess(text, context, off) != " 'b': 2,\n"
    # Without whitespace of its own the suffix's first line reads only on the cursor's line.
    direct = CompletionContext("d = {\n    'a': 1,\n    ", "'c': 3\n}\n", "Python")
    assert cut_suffix_echo("'b': 2,\n'c': 3\n", direct) == "'b': 2,\n'c': 3\n"
