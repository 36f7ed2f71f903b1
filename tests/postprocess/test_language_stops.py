from __future__ import annotations

import pytest

from codefill.postprocess import CompletionContext, cut_at_language_stops
from codefill.postprocess.language_stops import stop_groups


def cut(text: str, prefix: str, language: str) -> str:
    return cut_at_language_stops(text, CompletionContext(prefix, "", language))


def test_python_new_top_level_definition_ends_the_completion() -> None:
    text = "    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    assert cut(text, "def add(a, b):\n", "Python") == "    return a + b\n\n\n"


@pytest.mark.parametrize(
    "line",
    ["class Sub:", "import sys", "from os import path", "if __name__ == '__main__':", "@cache"],
)
def test_python_stop_lines(line: str) -> None:
    text = f"    return a + b\n{line}\n    pass\n"
    assert cut(text, "def add(a, b):\n", "Python") == "    return a + b\n"


def test_python_indented_keywords_do_not_stop() -> None:
    text = "    import sys\n    def inner():\n        pass\n"
    assert cut(text, "def outer():\n", "Python") == text


def test_python_a_run_of_imports_goes_on() -> None:
    text = "import sys\nimport re\nfrom os import path\n\ndef main():\n    pass\n"
    assert cut(text, "import os\n", "Python") == "import sys\nimport re\nfrom os import path\n\n"


def test_python_completion_that_starts_a_definition_is_not_cut_at_once() -> None:
    # The first non-blank line is what the user is writing, even after a blank first line.
    assert cut("\ndef main():\n    run()\n", "x = 1", "Python") == "\ndef main():\n    run()\n"


def test_python_decorator_then_definition_stays_together() -> None:
    text = "@app.route('/')\ndef index():\n    return 'hi'\n\n@app.route('/x')\ndef x():\n"
    assert cut(text, "app = Flask(__name__)\n\n", "Python") == (
        "@app.route('/')\ndef index():\n    return 'hi'\n\n"
    )


def test_javascript_function_after_a_function() -> None:
    text = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n"
    assert cut(text, "", "JavaScript") == "function a() {\n  return 1;\n}\n\n"


def test_typescript_exports_in_a_row_go_on_but_an_interface_after_code_stops() -> None:
    text = "export const a = 1;\nexport const b = 2;\nconsole.log(a);\ninterface P {\n}\n"
    kept = "export const a = 1;\nexport const b = 2;\nconsole.log(a);\n"
    assert cut(text, "", "TypeScript") == kept


def test_go_func_after_the_closing_brace() -> None:
    text = "func add(a, b int) int {\n\treturn a + b\n}\n\nfunc main() {\n"
    assert cut(text, "package main\n\n", "Go") == "func add(a, b int) int {\n\treturn a + b\n}\n\n"


def test_rust_attribute_keeps_its_item_and_the_next_item_stops() -> None:
    text = "#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n\n#[test]\nfn subs() {}\n"
    assert cut(text, "mod tests {\n", "Rust") == (
        "#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n\n"
    )


def test_rust_use_lines_in_a_row() -> None:
    text = "use std::io;\nuse std::fs;\n\npub fn read() {}\n"
    assert cut(text, "use std::env;\n", "Rust") == "use std::io;\nuse std::fs;\n\n"


def test_java_imports_then_class() -> None:
    text = "import java.util.List;\nimport java.util.Map;\n\npublic class Main {\n}\n"
    assert cut(text, "package demo;\n\n", "Java") == (
        "import java.util.List;\nimport java.util.Map;\n\n"
    )


def test_c_includes_then_a_function() -> None:
    text = "#include <stdlib.h>\n#include <string.h>\n\nint main(void) {\n    return 0;\n}\n"
    assert cut(text, "#include <stdio.h>\n", "C") == "#include <stdlib.h>\n#include <string.h>\n\n"


def test_cpp_next_function_after_a_closed_one() -> None:
    text = "int square(int x) {\n    return x * x;\n}\n\ntemplate <typename T>\nT id(T x);\n"
    assert cut(text, "#include <vector>\n\n", "C++") == (
        "int square(int x) {\n    return x * x;\n}\n\n"
    )


def test_the_cursor_line_is_never_a_stop() -> None:
    assert cut("import os\nx = 1\n", "", "Python") == "import os\nx = 1\n"
    assert cut(" sys\nimport re\nclass A:\n", "import", "Python") == " sys\nimport re\n"


def test_unknown_language_has_no_stops() -> None:
    text = "x\n}\ndef f():\nimport os\n"
    assert cut(text, "", "") == text
    assert cut(text, "", "Kotlin") == text


def test_language_names_are_matched_loosely() -> None:
    assert stop_groups("Python") == stop_groups("python") == stop_groups("py")
    assert stop_groups("C++") == stop_groups("cpp")
    assert stop_groups("TypeScript") != stop_groups("JavaScript")
    assert stop_groups("Haskell") == ()
