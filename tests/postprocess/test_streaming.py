"""The key invariant: streaming gives the whole-text result, whatever the chunking."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from codefill.postprocess import CompletionContext, PostprocessOptions, PostProcessor, postprocess

CONTEXTS = [
    CompletionContext("def f(x):\n", "    return y\n", "Python"),
    CompletionContext("def f(x):\n    if x:\n        ", "\n    return 0\n", "Python"),
    CompletionContext("import os\n", "", "Python"),
    CompletionContext("def f():\n    return 1\n\n\n", "", "Python"),
    CompletionContext("x = foo(", ")\n", "Python"),
    CompletionContext("print(foo(", ")\nprint(1)\n", "Python"),
    CompletionContext("function f() {\n", "}\n", "JavaScript"),
    CompletionContext("export function f(a: number) {\n  ", "\n}\n", "TypeScript"),
    CompletionContext("func main() {\n\tx := 1\n\t", "\n}\n", "Go"),
    CompletionContext("fn main() {\n    if x {\n        foo();", "\n}\n", "Rust"),
    CompletionContext("public class A {\n    void f() {\n", "    }\n}\n", "Java"),
    CompletionContext("#include <stdio.h>\n\n", "", "C"),
    CompletionContext("int main() {\n    for (int i = 0; i < n; i++) {", "\n", "C++"),
    CompletionContext("", "", ""),
    CompletionContext("x = 1", "", "Kotlin"),
    CompletionContext("func f() error {\n\t", "return nil\n}\n", "Go"),
    CompletionContext("total = price ", "+ tax\n", "Python"),
    CompletionContext("if (", " ) {\r\n", "C"),
    CompletionContext("def f(n):\n    if n:\n        return 1", "\n    return 0\n", "Python"),
    CompletionContext("def f(l):\n    if l:\n", "        return l[0]\n", "Python"),
    CompletionContext("def f(a):\n    for i in range(len(a", "n ans\n", "Python"),
    CompletionContext("    r = foo(\n        a,\n", "    )\n    return r\n", "Python"),
    CompletionContext('def f():\n    """Return the', ' sum.\n    """\n    return 1\n', "Python"),
    CompletionContext("def f(a):\n    for n in a:\n        s_va", ", p_value\n", "Python"),
    CompletionContext("def f(a):\n    for i in a:\n        ys.appe", "urn sorted(ys)\n", "Python"),
    CompletionContext("def f(x):\n    while x:\n        r = str(x", "       x //= 2\n", "Python"),
    CompletionContext("d = {\n    'a': 1,\n   ", "    'c': 3\n}\n", "Python"),
    CompletionContext(
        "def f(n):\n    while",
        "\n        if n % i == 0:\n            n //= i\n            i += 1\n",
        "Python",
    ),
]

LINES = [
    "",
    " ",
    "}",
    "  }",
    "    }",
    ")",
    "});",
    "end",
    "def g():",
    "class A:",
    "import sys",
    "from os import path",
    "@decorator",
    "if __name__ == '__main__':",
    "    return y",
    "    return 0",
    "        return 1",
    "    y = x * 2",
    "    pass",
    "x = 1",
    "\tx := 2",
    "func g() {",
    "fn h() -> u32 {",
    "#[derive(Debug)]",
    "#include <stdlib.h>",
    "int g(void) {",
    "  foo();",
    "print(x)",
    "a, b)",
    "x)",
    "# ------------------------------",
    "abcabcabcabcabcabcabcabc",
    "repeat me",
    "repeat me",
    "repeat me",
    "    else:",
    "        return l[0]",
    "    )",
    '    """',
    "```",
    "x<|endoftext|>",
    "        if n % i == 0:",
    "            n //= i",
    "            i += 1",
    "        while n % i == 0:",
    "        else:",
    " i < n:",
    "rr)):",
    "    return ans",
    "    return s_value, p_value",
    "    return ys",
    "    'c': 3",
    " 'b': 2,",
    ") + r",
]

line_lists = st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=12)), max_size=14)
options = st.builds(
    PostprocessOptions,
    scope=st.booleans(),
    single_line=st.booleans(),
    language_stops=st.booleans(),
    suffix_overlap=st.booleans(),
    repetition=st.booleans(),
    suffix_level=st.booleans(),
    echo_anywhere=st.booleans(),
    brackets=st.booleans(),
    end_markers=st.booleans(),
    mid_line_blocks=st.booleans(),
    own_line_echo=st.booleans(),
    mid_line_ends=st.booleans(),
    model_end=st.integers(0, 3),
    trim=st.booleans(),
)


@st.composite
def completions(draw: st.DrawFn) -> str:
    text = "\n".join(draw(line_lists))
    return text + draw(st.sampled_from(["", "\n", "  ", "\n\n"]))


@st.composite
def chunked(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def stream(processor: PostProcessor, chunks: list[str], ended: bool = False) -> str:
    return "".join(processor.feed(chunk) for chunk in chunks) + processor.flush(ended)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(CONTEXTS), options, completions(), st.booleans(), st.data())
def test_streaming_equals_whole_text(
    context: CompletionContext,
    opts: PostprocessOptions,
    text: str,
    ended: bool,
    data: st.DataObject,
) -> None:
    """Also while a cut is held for the model's own end (``model_end``): what was shown
    before the end is always a start of the final text."""
    chunks = data.draw(chunked(text))
    whole = postprocess(text, context, opts, ended)
    assert stream(PostProcessor(context, opts), chunks, ended) == whole


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(CONTEXTS), options, completions(), completions(), st.booleans(), st.data())
def test_stopping_never_depends_on_text_still_to_come(
    context: CompletionContext,
    opts: PostprocessOptions,
    text: str,
    more: str,
    ended: bool,
    data: st.DataObject,
) -> None:
    processor = PostProcessor(context, opts)
    fed, shown = "", ""
    for chunk in data.draw(chunked(text)):
        fed += chunk
        shown += processor.feed(chunk)
        if processor.stopped:
            break
    if not processor.stopped:
        return
    assert processor.feed(more) == ""
    shown += processor.flush(ended)
    assert shown == postprocess(fed + more, context, opts, ended)
