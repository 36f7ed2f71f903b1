"""Language names: from a file's extension, or from an editor's language identifier."""

from __future__ import annotations

import posixpath

__all__ = ["language_for_id", "language_for_path"]

_BY_EXTENSION: dict[str, str] = {
    ".py": "Python",
    ".pyi": "Python",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".hxx": "C++",
    ".cs": "C#",
    ".rb": "Ruby",
    ".php": "PHP",
    ".swift": "Swift",
    ".m": "Objective-C",
    ".lua": "Lua",
    ".r": "R",
    ".jl": "Julia",
    ".sh": "Shell",
    ".bash": "Shell",
    ".zsh": "Shell",
    ".ps1": "PowerShell",
    ".sql": "SQL",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
    ".scss": "SCSS",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".dart": "Dart",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".hs": "Haskell",
    ".ml": "OCaml",
    ".clj": "Clojure",
    ".zig": "Zig",
    ".nim": "Nim",
    ".pl": "Perl",
    ".md": "Markdown",
    ".json": "JSON",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".toml": "TOML",
    ".xml": "XML",
    ".tf": "Terraform",
    ".proto": "Protocol Buffers",
    ".vim": "Vim Script",
}

_BY_NAME: dict[str, str] = {
    "makefile": "Makefile",
    "dockerfile": "Dockerfile",
    "cmakelists.txt": "CMake",
}


def language_for_path(path: str) -> str:
    """The language of a file path from its name or extension; "" when unknown."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    _, extension = posixpath.splitext(name)
    return _BY_EXTENSION.get(extension, "")


# VS Code's language identifiers (which LSP clients and Tabby's extensions send) that are not
# simply codefill's name in lower case
_ID_SPELLINGS: dict[str, str] = {
    "javascriptreact": "JavaScript",
    "typescriptreact": "TypeScript",
    "cpp": "C++",
    "csharp": "C#",
    "shellscript": "Shell",
    "jsonc": "JSON",
    "proto": "Protocol Buffers",
    "proto3": "Protocol Buffers",
    "vim": "Vim Script",
    "viml": "Vim Script",
    "objective-c": "Objective-C",
    "objc": "Objective-C",
    "golang": "Go",
}
_BY_ID: dict[str, str] = {
    **{name.lower(): name for name in (*_BY_EXTENSION.values(), *_BY_NAME.values())},
    **_ID_SPELLINGS,
}


def language_for_id(identifier: str) -> str:
    """codefill's name for an editor's language id ("typescriptreact") or for a name in any
    case ("python"); "" when unknown."""
    return _BY_ID.get(identifier.strip().lower(), "")
