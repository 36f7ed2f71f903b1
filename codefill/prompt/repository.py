"""Other files of the repository in the prompt, in the model's own multi-file layout.

Code models are trained on whole repositories written one file after another, so a piece of
another file helps most in the layout the model saw in training:

- **Qwen2.5-Coder**: ``<|repo_name|>NAME\\n<|file_sep|>PATH\\nTEXT\\n ... <|file_sep|>PATH\\n``,
  then the FIM prompt of the current file (as Qwen's documentation and llama.cpp do);
- **StarCoder2**: ``<repo_name>NAME<file_sep>PATH\\nTEXT\\n ... <file_sep>``, then the FIM
  prompt, whose prefix starts with the current file's path and a line break;
- **path comments** for every other family: each piece as ``# Path: PATH`` (in the file's
  comment syntax) and its text, at the start of the prefix, as a concatenated repository.

The block goes before the current file's code and keeps the order it is given, so a prompt
whose snippets only grew at the end shares its whole block with the last prompt and the
KV cache keeps it. No snippets render nothing: the prompt is exactly the one-file prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codefill.prompt.languages import language_for_path
from codefill.prompt.templates import PromptPart

__all__ = [
    "COMMENTS",
    "LAYOUTS",
    "REPOSITORY_NAME",
    "ContextSnippet",
    "RepositoryLayout",
    "RepositoryPrompt",
    "detect_layout",
    "render_repository",
]

REPOSITORY_NAME = "project"  # stable, so the block's first tokens never change

_SLASH_COMMENT = frozenset(
    {
        *("JavaScript", "TypeScript", "Go", "Rust", "Java", "Kotlin", "Scala", "C", "C++"),
        *("C#", "Swift", "Objective-C", "Dart", "PHP", "Zig", "Vue", "Svelte", "SCSS"),
        "Protocol Buffers",
    }
)
_DASH_COMMENT = frozenset({"SQL", "Lua", "Haskell"})


@dataclass(frozen=True)
class ContextSnippet:
    """A piece of another file: where it comes from and its text. Every dialect's extra
    context (llama.cpp's ``input_extra``, Tabby's segments) and the session memory's chunks
    become these."""

    path: str
    text: str


@dataclass(frozen=True)
class RepositoryLayout:
    """How a family writes several files in one prompt; ``None`` markers: path comments."""

    name: str
    repo_marker: str | None = None
    file_marker: str | None = None
    path_in_prefix: bool = False  # StarCoder2: the current path follows <fim_prefix>

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(m for m in (self.repo_marker, self.file_marker) if m is not None)


QWEN = RepositoryLayout("qwen2.5-coder", "<|repo_name|>", "<|file_sep|>")
STARCODER2 = RepositoryLayout("starcoder2", "<repo_name>", "<file_sep>", path_in_prefix=True)
COMMENTS = RepositoryLayout("comments")
LAYOUTS = (QWEN, STARCODER2)


@dataclass(frozen=True)
class RepositoryPrompt:
    """The rendered context: ``before`` goes ahead of the template's text, ``prefix_head``
    at the start of the code before the cursor."""

    before: tuple[PromptPart, ...] = ()
    prefix_head: str = ""


def detect_layout(is_control_token: Callable[[str], bool]) -> RepositoryLayout:
    """The first layout whose markers are all control tokens; path comments if none."""
    for layout in LAYOUTS:
        if all(is_control_token(marker) for marker in layout.markers):
            return layout
    return COMMENTS


def render_repository(
    layout: RepositoryLayout, snippets: Sequence[ContextSnippet], current_path: str
) -> RepositoryPrompt:
    """The snippets in ``layout``, in the order given; nothing when there are none."""
    if not snippets:
        return RepositoryPrompt()
    if layout.repo_marker is None or layout.file_marker is None:
        entries = "".join(_commented(snippet) for snippet in snippets)
        head = _path_comment(current_path) if current_path else ""
        return RepositoryPrompt(prefix_head=entries + head)
    parts = [PromptPart(layout.repo_marker, special=True)]
    parts.append(PromptPart(REPOSITORY_NAME + ("" if layout.path_in_prefix else "\n")))
    for snippet in snippets:
        parts.extend(entry_parts(layout, snippet))
    parts.append(PromptPart(layout.file_marker, special=True))
    if layout.path_in_prefix:
        return RepositoryPrompt(tuple(parts), f"{current_path}\n" if current_path else "")
    parts.append(PromptPart(f"{current_path}\n"))
    return RepositoryPrompt(tuple(parts))


def entry_parts(layout: RepositoryLayout, snippet: ContextSnippet) -> tuple[PromptPart, ...]:
    """One snippet's share of the block, for counting its tokens before choosing it."""
    if layout.file_marker is None:
        return (PromptPart(_commented(snippet)),)
    return (
        PromptPart(layout.file_marker, special=True),
        PromptPart(f"{snippet.path}\n{_ended(snippet.text)}"),
    )


def _comment_marker(path: str) -> str:
    language = language_for_path(path)
    if language in _SLASH_COMMENT:
        return "//"
    return "--" if language in _DASH_COMMENT else "#"


def _path_comment(path: str) -> str:
    return f"{_comment_marker(path)} Path: {path}\n"


def _commented(snippet: ContextSnippet) -> str:
    """A snippet as a path comment, its text and a blank line before the next file."""
    return f"{_path_comment(snippet.path)}{_ended(snippet.text)}\n"


def _ended(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
