"""Tabby wire schemas: ``POST /v1/completions`` and ``POST /v1/events`` as Tabby's editor
extensions (through tabby-agent) send them, after Tabby's OpenAPI schema, and how each maps
onto the service."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, StrictStr

from codefill.api.wire import Int, WireModel
from codefill.errors import BadRequest
from codefill.prompt.languages import language_for_id, language_for_path
from codefill.service.requests import (
    Client,
    CompletionRequest,
    ContextSnippet,
    Dialect,
    SamplingFields,
)
from codefill.service.telemetry import AcceptKind, Event

__all__ = [
    "CONTEXT_BUDGET_CHARS",
    "MAX_SNIPPETS",
    "DebugOptions",
    "Declaration",
    "LogEventBody",
    "Segments",
    "Snippet",
    "TabbyCompletionBody",
]

MAX_SNIPPETS = 64  # per list; tabby-agent sends at most a handful
# Other files' text put into the prompt, in Tabby's order of priority: declarations, then
# snippets from changed files, then from recently opened ones. Each costs prompt time.
CONTEXT_BUDGET_CHARS = 2048
_UINT32 = 2**32 - 1
_EVENTS = {"view": Event.VIEW, "select": Event.ACCEPT, "dismiss": Event.DISMISS}


class Declaration(WireModel):
    """A declaration of a symbol used before the cursor, found by the editor's LSP."""

    filepath: StrictStr
    body: StrictStr


class Snippet(WireModel):
    filepath: StrictStr
    body: StrictStr
    score: float = 0.0


class EditHistory(WireModel):
    original_code: StrictStr = ""
    edits_diff: StrictStr = ""
    current_version: StrictStr = ""


class Segments(WireModel):
    """The code around the cursor and the context the editor found for it."""

    prefix: StrictStr
    suffix: StrictStr | None = None
    filepath: StrictStr | None = None
    git_url: StrictStr | None = None
    declarations: Annotated[list[Declaration], Field(max_length=MAX_SNIPPETS)] | None = None
    relevant_snippets_from_changed_files: (
        Annotated[list[Snippet], Field(max_length=MAX_SNIPPETS)] | None
    ) = None
    relevant_snippets_from_recently_opened_files: (
        Annotated[list[Snippet], Field(max_length=MAX_SNIPPETS)] | None
    ) = None
    clipboard: StrictStr | None = None
    edit_history: EditHistory | None = None

    def context_files(self) -> tuple[ContextSnippet, ...]:
        """Declarations, snippets and the clipboard, in priority order, whole, within the
        budget (the clipboard is text the user copied, likely to be pasted near the cursor)."""
        candidates = [
            *(self.declarations or ()),
            *(self.relevant_snippets_from_changed_files or ()),
            *(self.relevant_snippets_from_recently_opened_files or ()),
        ]
        chosen: list[ContextSnippet] = []
        left = CONTEXT_BUDGET_CHARS
        for item in candidates:
            if item.body.strip() and len(item.body) <= left:
                chosen.append(ContextSnippet(item.filepath, _lf(item.body)))
                left -= len(item.body)
        clipboard = self.clipboard or ""
        if clipboard.strip() and len(clipboard) <= left:
            chosen.append(ContextSnippet("clipboard", _lf(clipboard)))
        return tuple(chosen)


class DebugOptions(WireModel):
    raw_prompt: StrictStr | None = None
    return_snippets: bool = False
    return_prompt: bool = False
    disable_retrieval_augmented_code_completion: bool = False


class TabbyCompletionBody(WireModel):
    """``POST /v1/completions`` with ``segments`` (or ``debug_options.raw_prompt``).

    Tabby names no model: the default model answers. ``user``, ``git_url`` and
    ``clipboard`` are accepted and not used. CRLF line ends are read as LF and the answer
    gets them back, as Tabby does.
    """

    language: StrictStr | None = None
    segments: Segments | None = None
    user: StrictStr | None = None
    debug_options: DebugOptions | None = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    seed: Annotated[Int | None, Field(ge=0, le=2**64 - 1)] = None
    mode: Literal["standard"] = "standard"

    @property
    def crlf(self) -> bool:
        segments = self.segments
        return segments is not None and "\r\n" in segments.prefix + (segments.suffix or "")

    def to_request(self, client: Client) -> CompletionRequest:
        sampling = SamplingFields(temperature=self.temperature, seed=self.seed)
        raw = self.debug_options.raw_prompt if self.debug_options else None
        if raw is not None:
            return CompletionRequest("", raw, Dialect.TABBY, sampling, raw=True, client=client)
        if self.segments is None:
            raise BadRequest("give 'segments' (or 'debug_options.raw_prompt')", param="segments")
        segments = self.segments
        path = segments.filepath or ""
        return CompletionRequest(
            model="",
            dialect=Dialect.TABBY,
            sampling=sampling,
            prefix=_lf(segments.prefix),
            suffix=_lf(segments.suffix or ""),
            language=_language(self.language or "", path),
            file_path=path,
            extra=segments.context_files(),
            client=client,
        )


class LogEventBody(WireModel):
    """``POST /v1/events``: Tabby's ``LogEventRequest``.

    ``select_kind`` ("line"; "word" too, which Tabby's extensions send as "line" for now)
    comes as a query parameter from tabby-agent, and is read from the body as well.
    """

    type: Literal["view", "select", "dismiss"]
    completion_id: StrictStr
    choice_index: Annotated[StrictInt, Field(ge=0, le=0)]  # codefill answers with one choice
    view_id: StrictStr | None = None
    elapsed: Annotated[StrictInt | None, Field(ge=0, le=_UINT32)] = None
    select_kind: Literal["line", "word"] | None = None

    @property
    def event(self) -> Event:
        return _EVENTS[self.type]

    def kind(self, query_kind: str | None) -> AcceptKind | None:
        """How much was accepted; ``query_kind`` is the ``select_kind`` query parameter."""
        if self.event is not Event.ACCEPT:
            return None
        given = self.select_kind or query_kind
        if given not in (None, "line", "word"):
            raise BadRequest(f"select_kind must be 'line' or 'word', not {given!r}", "select_kind")
        return AcceptKind(given) if given else AcceptKind.WHOLE


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _language(identifier: str, path: str) -> str:
    """codefill's name for an editor's language id, else the path's language, else the id
    as sent (Tabby's "unknown" means none)."""
    known = language_for_id(identifier) or language_for_path(path)
    return known or ("" if identifier == "unknown" else identifier)
