"""Rule 3: per-language stops, a new top-level definition or import at column 0 ends the text."""

from __future__ import annotations

import re

from codefill.postprocess.context import CompletionContext, cursor_line, is_blank
from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = ["LanguageStopJudge", "cut_at_language_stops", "stop_groups"]

# Per language: group name -> pattern matched at column 0. A line opening with a pattern
# belongs to that group. Groups in _LEADING (decorators, annotations, attributes) belong
# to the line that follows them, so that line never stops.
_C_TYPES = (
    r"void|int|char|short|long|float|double|unsigned|signed|bool|size_t|u?int\d+_t|"
    r"typedef|struct|enum|union|static|extern|const|inline"
)
_JS = {
    "import": r"import\b",
    "export": r"export\b",
    "definition": r"(?:async\s+)?function\b|class\b",
}
_TABLES: dict[str, dict[str, str]] = {
    "python": {
        "import": r"(?:import|from)\s",
        "definition": r"(?:async\s+)?def\s|class\s",
        "main": r"if\s+__name__\b",
        "decorator": r"@",
    },
    "javascript": _JS,
    "typescript": {
        **_JS,
        "declaration": r"(?:interface|type|enum|declare|namespace|abstract\s+class)\b",
    },
    "go": {
        "package": r"package\s",
        "import": r"import\b",
        "definition": r"(?:func|type)\s",
        "variable": r"(?:var|const)\b",
    },
    "rust": {
        "use": r"(?:use|extern\s+crate)\s",
        "definition": (
            r"(?:pub\b|fn\s|struct\s|enum\s|impl\b|trait\s|mod\s|type\s|const\s|static\s|"
            r"unsafe\s|async\s|extern\s|union\s|macro_rules!)"
        ),
        "attribute": r"#!?\[",
    },
    "java": {
        "package": r"package\s",
        "import": r"import\s",
        "definition": (
            r"(?:public|private|protected|final|abstract|sealed|class|interface|enum|record)\b"
        ),
        "annotation": r"@",
    },
    "c": {
        "include": r"#\s*include\b",
        "define": r"#\s*define\b",
        "declaration": rf"(?:{_C_TYPES})\b",
    },
    "c++": {
        "include": r"#\s*(?:include|import)\b",
        "define": r"#\s*define\b",
        "declaration": rf"(?:{_C_TYPES}|class|namespace|template|using|auto|constexpr)\b",
    },
}
_LEADING = frozenset({"decorator", "annotation", "attribute"})
_ALIASES = {
    "py": "python",
    "js": "javascript",
    "jsx": "javascript",
    "javascriptreact": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "typescriptreact": "typescript",
    "golang": "go",
    "rs": "rust",
    "cpp": "c++",
    "cxx": "c++",
    "cc": "c++",
}
_COMPILED = {
    name: tuple((group, re.compile(pattern)) for group, pattern in table.items())
    for name, table in _TABLES.items()
}


def stop_groups(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The stop patterns for a codefill language name ("Python", "C++"...); () when none."""
    key = language.strip().lower()
    return _COMPILED.get(_ALIASES.get(key, key), ())


class LanguageStopJudge(LineJudge):
    """Ends the completion before a column-0 line that starts a new top-level item.

    For Python that is ``def``/``class``/``import``/``from``/``if __name__``/``@``; for
    C-like languages a top-level function or type, ``#include``, ``package``, ``import``.
    It never stops on the completion's first line (the cursor's) nor on its first
    non-blank line: a completion that begins a new definition is the user's wish, not a
    runaway. It also lets a line continue a column-0 run of the same group (``import a``
    then ``import b``; ``int x;`` then ``int y;``) and a line right after a decorator,
    annotation or attribute. Inside an indented block these lines are column 0 only when
    the block has already ended, which the scope rule cuts first.
    """

    rule = "language_stop"
    reason = (
        "A new top-level definition or import began, which belongs to the next part of the file."
    )

    def __init__(self, context: CompletionContext) -> None:
        self._groups = stop_groups(context.language)
        self._cursor = cursor_line(context.prefix)
        self._seen_code = False
        self._previous: str | None = None  # group of the previous non-blank line, if column 0

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if not self._groups or is_blank(line):
            return None
        full = self._cursor + line if index == 0 else line
        group = self._group(full)
        stop = (
            index > 0
            and self._seen_code
            and group is not None
            and self._previous != group
            and self._previous not in _LEADING
        )
        if stop:
            return Cut(index)
        self._seen_code = True
        self._previous = group
        return None

    def _group(self, line: str) -> str | None:
        if line[:1] in (" ", "\t"):
            return None
        for group, pattern in self._groups:
            if pattern.match(line):
                return group
        return None


def cut_at_language_stops(text: str, context: CompletionContext) -> str:
    """Rule 3 alone: ``text`` cut before its first top-level stop line."""
    return apply_judges(text, [LanguageStopJudge(context)])
