from __future__ import annotations

from codefill.postprocess import (
    CompletionContext,
    PostprocessOptions,
    PostProcessor,
    keep_first_line,
    limit_scope,
    postprocess,
)
from codefill.postprocess.lines import apply_judges
from codefill.postprocess.scope import ScopeJudge, is_closing_line


def test_python_body_ends_where_the_completion_dedents() -> None:
    context = CompletionContext(
        "def total(items):\n    result = 0\n    for item in items:\n        ", "", "Python"
    )
    text = "result += item.price\n    return result\n"
    assert limit_scope(text, context) == "result += item.price\n"


def test_python_block_opened_on_the_previous_line_runs_until_the_next_top_level_line() -> None:
    context = CompletionContext("import math\n\ndef area(r):\n", "", "Python")
    text = (
        "    if r < 0:\n        raise ValueError(r)\n    return math.pi * r * r\n\nprint(area(2))"
    )
    assert limit_scope(text, context) == (
        "    if r < 0:\n        raise ValueError(r)\n    return math.pi * r * r\n\n"
    )


def test_the_cursor_line_itself_is_never_cut() -> None:
    context = CompletionContext("class A:\n    def f(self):\n        return 1\n    ", "", "Python")
    assert limit_scope("x = 2\ny = 3", context) == "x = 2\n"


def test_python_closing_bracket_at_the_opening_line_indentation_is_kept() -> None:
    context = CompletionContext("NAMES = [\n    'ann',\n    ", "", "Python")
    assert limit_scope("'bob',\n]\nprint(NAMES)\n", context) == "'bob',\n]\n"


def test_javascript_closing_brace_is_kept_when_the_suffix_does_not_close_the_block() -> None:
    context = CompletionContext("function add(a, b) {\n", "", "JavaScript")
    text = "  return a + b;\n}\n\nconsole.log(add(1, 2));\n"
    assert limit_scope(text, context) == "  return a + b;\n}\n"


def test_javascript_closing_brace_is_dropped_when_the_suffix_closes_the_block() -> None:
    context = CompletionContext(
        "function add(a, b) {\n", "}\n\nexport default add;\n", "JavaScript"
    )
    text = "  return a + b;\n}\n\nconsole.log(add(1, 2));\n"
    assert limit_scope(text, context) == "  return a + b;\n"


def test_typescript_closing_brace_is_dropped_while_the_suffix_is_still_in_the_body() -> None:
    context = CompletionContext(
        "function f(x: number): number {\n  ", "\n  return y;\n}\n", "TypeScript"
    )
    text = "const y = x * 2;\n}\n"
    assert limit_scope(text, context) == "const y = x * 2;\n"


def test_go_tabs_count_as_indentation() -> None:
    context = CompletionContext("func main() {\n\tx := 1\n\t", "", "Go")
    text = "fmt.Println(x)\n\tfmt.Println(x + 1)\n}\n\nfunc other() {\n"
    assert limit_scope(text, context) == "fmt.Println(x)\n\tfmt.Println(x + 1)\n}\n"


def test_rust_inner_block_closer_is_kept_but_an_outer_one_is_not() -> None:
    context = CompletionContext("fn main() {\n    if ready {\n        start();", "\n}\n", "Rust")
    assert limit_scope("\n        run();\n    }\n}\n", context) == "\n        run();\n    }\n"
    # A closer at some other indentation does not close the cursor's block: cut before it.
    assert limit_scope("\n        run();\n}\n", context) == "\n        run();\n"


def test_java_method_body_before_the_closing_line_of_the_suffix() -> None:
    context = CompletionContext("public class A {\n    void f() {\n", "    }\n}\n", "Java")
    text = "        int x = 1;\n        use(x);\n    }\n"
    assert limit_scope(text, context) == "        int x = 1;\n        use(x);\n"


def test_c_cursor_line_that_opens_a_block() -> None:
    context = CompletionContext("int main(void) {\n    for (int i = 0; i < n; i++) {", "\n", "C")
    text = "\n        sum += a[i];\n    }\n    return sum;\n}\n"
    assert limit_scope(text, context) == "\n        sum += a[i];\n    }\n"


def test_cpp_statement_line_keeps_the_completion_in_its_block() -> None:
    context = CompletionContext("void f() {\n    int x = 0;", "", "C++")
    assert limit_scope("\n    x++;\n}\nint g() {", context) == "\n    x++;\n}\n"


def test_empty_line_at_top_level_lets_the_completion_stay_at_top_level() -> None:
    context = CompletionContext("def f():\n    return 1\n\n\n", "", "Python")
    text = "def g():\n    return 2\n\n\ndef h():\n    pass\n"
    assert limit_scope(text, context) == text


def test_empty_line_inside_a_body_takes_the_completion_indentation() -> None:
    context = CompletionContext("def f():\n    x = 1\n", "", "Python")
    text = "    y = 2\n    return x + y\n\nprint(f())"
    assert limit_scope(text, context) == "    y = 2\n    return x + y\n\n"


def test_blank_lines_are_never_cut_by_scope() -> None:
    context = CompletionContext("if x:\n    ", "", "Python")
    assert limit_scope("a()\n\n\n    b()", context) == "a()\n\n\n    b()"


def test_closing_lines() -> None:
    assert is_closing_line("}")
    assert is_closing_line("    });")
    assert is_closing_line("  ) -> None:")
    assert is_closing_line("end")
    assert not is_closing_line("end = start + 1")
    assert not is_closing_line("    return x")


def test_mid_line_keeps_only_the_first_line_without_its_newline() -> None:
    context = CompletionContext("    total = sum(", ")\n    return total\n", "Python")
    assert keep_first_line("prices)\n    return total\n", context) == "prices)"


def test_mid_line_in_c_like_code() -> None:
    context = CompletionContext("if (", ") {\n", "JavaScript")
    assert keep_first_line("x > 0\nfoo();", context) == "x > 0"
    context = CompletionContext("    let v: Vec<u8> = ", ";\n", "Rust")
    assert keep_first_line("Vec::new()\n", context) == "Vec::new()"


def test_single_line_mode_is_off_at_the_end_of_a_line_or_before_code() -> None:
    at_end = CompletionContext("def f(x):", "\n", "Python")
    assert keep_first_line("\n    return x\n", at_end) == "\n    return x\n"
    before_code = CompletionContext("def f(x):\n", "    return y\n", "Python")
    assert keep_first_line("    y = x\n    z = y\n", before_code) == "    y = x\n    z = y\n"


def test_single_line_first_line_without_newline_is_kept_whole() -> None:
    context = CompletionContext("x = foo(", ")", "Python")
    assert keep_first_line("a, b", context) == "a, b"
    assert keep_first_line("", context) == ""


def test_a_block_whose_body_follows_the_cursor_ends_after_its_first_line() -> None:
    from codefill.postprocess import postprocess

    context = CompletionContext(
        prefix="def f(numbers):\n    result = []\n    for n in numbers:\n",
        suffix="            running_max = n\n        else:\n            running_max = max(n)\n",
        language="Python",
    )
    text = "        if running_max is None:\n            result.append(n)\n        else:\n"
    assert postprocess(text, context) == "        if running_max is None:\n"


def test_a_block_body_at_the_same_depth_is_not_the_blocks_body() -> None:
    from codefill.postprocess import postprocess

    context = CompletionContext(
        prefix="function f(xs) {\n", suffix="  return total;\n}\n", language="JavaScript"
    )
    text = "  for (const x of xs) {\n    total += x;\n  }\n"
    assert postprocess(text, context) == text


def test_after_code_at_line_end_the_suffix_level_bounds_the_block() -> None:
    context = CompletionContext(
        "def is_prime(n):\n    if n < 2:\n        return False", "\n    return True\n", "Python"
    )
    body = "\n    for k in range(2, n):\n        if n % k == 0:\n            return False\n"
    text = body + "print(1)\n"
    assert limit_scope(text, context) == body
    # Switched off, the block is the cursor line's own.
    assert apply_judges(text, [ScopeJudge(context, suffix_level=False)]) == "\n"


def test_a_cursor_line_that_opens_a_block_keeps_its_own_limit() -> None:
    context = CompletionContext("def f(n):\n    if n:", "\n    return 0\n", "Python")
    assert limit_scope("\n        n += 1\n    n -= 1\n", context) == "\n        n += 1\n"


def test_an_opener_for_the_suffixs_body_is_kept_when_the_suffix_line_follows() -> None:
    context = CompletionContext(
        "def median(l):\n    if len(l) % 2 == 0:\n", "        return l[0]\n", "Python"
    )
    text = "        return l[1]\n    else:\n        return l[0]\n\nprint(1)\n"
    assert limit_scope(text, context) == "        return l[1]\n    else:\n"
    # Followed by anything else, the opener only left the block.
    other = "        return l[1]\n    else:\n        pass\n"
    assert limit_scope(other, context) == "        return l[1]\n"
    # A completion that ends right after the opener keeps it.
    ended = "        return l[1]\n    else:\n"
    assert limit_scope(ended, context) == ended


def test_a_held_opener_waits_in_a_stream() -> None:
    context = CompletionContext("def f(l):\n    if l:\n", "        return l[0]\n", "Python")
    processor = PostProcessor(context)
    assert processor.feed("        x = 1\n") == "        x = 1"
    assert processor.feed("    else:\n") == ""
    assert not processor.stopped
    assert processor.feed("        return l[0]\n") == "\n    else:\n"
    assert processor.stopped


def test_a_return_in_the_block_the_suffix_continues_ends_the_completion_before_it() -> None:
    context = CompletionContext(
        "def digits(n):\n    product = 1\n", "\n    if product == 1:\n        return 0\n", "Python"
    )
    body = "    for d in str(n):\n        product *= int(d)\n"
    assert limit_scope(body + "    return product\n", context) == body
    # Inside a block the completion opened, the return is that block's own.
    nested = "    for d in str(n):\n        return product\n"
    assert limit_scope(nested, context) == nested
    # Before the suffix's else, a return is the end of the other branch.
    branch = CompletionContext("def f(x):\n    if x:\n", "    else:\n        return 0\n", "Python")
    ended = "        y = 1\n        return y\n"
    assert limit_scope(ended, branch) == ended


def test_mid_line_a_block_header_goes_on_to_the_echo_of_the_rest_of_the_line() -> None:
    context = CompletionContext(
        "def f(a):\n    ans = 0\n    for i in range(len(a", "n ans\n", "Python"
    )
    text = "rr) // 2):\n        ans += 1\n    return ans\n\nprint(f([1]))\n"
    assert postprocess(text, context) == "rr) // 2):\n        ans += 1\n    retur"
    assert keep_first_line("rr)):\n        x\n", context) == "rr)):\n        x\n"
    # Switched off, or when the first line opens nothing, only the rest of the line fits.
    off = PostprocessOptions(mid_line_blocks=False)
    assert postprocess(text, context, off) == "rr) // 2):"
    assert keep_first_line("rr) // 2)\n    x\n", context) == "rr) // 2)"
    # Outside Python, ``//`` starts a comment, which may well end in a colon.
    c_like = CompletionContext("int f(int a) {\n    x = g(a", ";\n}\n", "C")
    assert keep_first_line(") // note:\n    y\n", c_like) == ") // note:"


def test_a_completed_cursor_line_keeps_its_own_block() -> None:
    """Typing mid-word, the completion finishes the cursor's line: the suffix's lower level
    does not open the block to the completion's next lines."""
    context = CompletionContext("def f(n):\n    if n:\n        ret", "\n    return 0\n", "Python")
    assert limit_scope("urn 1\n    n += 1\n", context) == "urn 1\n"
