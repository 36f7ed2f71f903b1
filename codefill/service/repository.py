"""Repository context for one completion: the request's own snippets, then the session's memory.

The request's snippets (``input_extra`` and the like) come first, in the order the client
gave them: a client that keeps a ring of chunks appends to it, so the block stays a stable
prefix. The memory's chunks fill what is left of the token budget. When the request's
snippets alone are over the budget, the most relevant ones (split into chunks when one is
bigger than the whole budget) are kept, still in the client's order.

Switches: ``memory = false`` in the settings turns the memory off for everyone, on a model
for that model; a request's ``memory: false`` keeps that request out of it (neither
remembered nor given memory). A request cannot turn on what the server or model turned off.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from codefill.errors import BadRequest
from codefill.prompt.meta import CodeContext
from codefill.prompt.repository import (
    ContextSnippet,
    RepositoryLayout,
    RepositoryPrompt,
    detect_layout,
    entry_parts,
    render_repository,
)
from codefill.prompt.tokens import encode_parts
from codefill.service.chunks import Chunk, bm25_scores, split_chunks, terms
from codefill.service.memory import MIN_CHUNK_LINES, MemoryBounds, SessionMemory
from codefill.service.models import LoadedModel
from codefill.service.requests import Client, CompletionRequest
from codefill.settings import Settings

__all__ = ["RepositoryContext", "memory_key", "text_near_cursor"]

QUERY_LINES_BEFORE = 20  # the code near the cursor that chunks are ranked against
QUERY_LINES_AFTER = 8
SHARE_OF_ROOM = 0.5  # context takes at most this share of the prompt's room
TOKEN_COUNTS = 16384  # snippets whose token counts are remembered, per server


def memory_key(client: Client, model: str, by_address: bool) -> str | None:
    """The session's key: the ``X-Codefill-Session`` header, else (when allowed) the client's
    address and User-Agent. Unlike supersession's key it leaves the path out: a session is
    the editor, and its memory is about the editor's other files. The model is part of it,
    since the order of chunks is kept for that model's KV cache."""
    if client.session:
        return f"session\x00{client.session}\x00{model}"
    if by_address and client.address:
        return f"client\x00{client.address}\x00{client.user_agent}\x00{model}"
    return None


def text_near_cursor(code: CodeContext) -> str:
    before = code.prefix.splitlines()[-QUERY_LINES_BEFORE:]
    after = code.suffix.splitlines()[:QUERY_LINES_AFTER]
    return "\n".join([*before, *after])


class RepositoryContext:
    """Owns the session memory; :meth:`snippets` gives one prompt its context."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        bounds = MemoryBounds(
            max_sessions=settings.memory_sessions,
            max_chars=settings.memory_session_chars,
            ttl=settings.memory_ttl_seconds,
            chunk_lines=settings.memory_chunk_lines,
        )
        self.memory = SessionMemory(bounds, clock)
        self._counts: OrderedDict[tuple[str, ContextSnippet], int] = OrderedDict()

    def check(self, request: CompletionRequest) -> None:
        """Refuse more snippets than ``max_context_snippets`` (before any model work)."""
        limit = self.settings.max_context_snippets
        if len(request.extra) > limit:
            raise BadRequest(
                f"{len(request.extra)} context snippets; this server takes at most {limit} "
                "(max_context_snippets)",
                param="input_extra",
            )

    def enabled(self, request: CompletionRequest, model: LoadedModel) -> bool:
        return (
            self.settings.memory
            and model.config.memory is not False
            and request.memory is not False
        )

    def block(
        self, request: CompletionRequest, model: LoadedModel, code: CodeContext, room: int
    ) -> RepositoryPrompt:
        """The rendered context for a prompt whose current file is ``code``."""
        layout = _layout(model)
        snippets = self.snippets(request, model, layout, code, room)
        return render_repository(layout, snippets, code.file_path)

    def snippets(
        self,
        request: CompletionRequest,
        model: LoadedModel,
        layout: RepositoryLayout,
        code: CodeContext,
        room: int,
    ) -> tuple[ContextSnippet, ...]:
        """The snippets for a prompt whose current file is ``code``; ``room`` is the prompt's
        token room before any context."""
        budget = min(self.settings.context_tokens, int(room * SHARE_OF_ROOM))
        cost = self._coster(model, layout)
        query = text_near_cursor(code)
        explicit = _fit_explicit(request.extra, query, budget, cost, self.settings)
        key = memory_key(request.client, model.name, self.settings.memory_by_address)
        if key is None or not code.file_path or not self.enabled(request, model):
            return explicit
        self.memory.record(key, code.file_path, code.prefix + code.suffix)
        left = budget - sum(cost(snippet) for snippet in explicit)
        given = [snippet.text for snippet in explicit]
        chunks = self.memory.select(
            key,
            query,
            exclude=code.file_path,
            budget=left,
            cost=lambda chunk: cost(ContextSnippet(chunk.path, chunk.text)),
            skip=lambda chunk: any(chunk.text in text for text in given),
        )
        return explicit + tuple(ContextSnippet(chunk.path, chunk.text) for chunk in chunks)

    def _coster(
        self, model: LoadedModel, layout: RepositoryLayout
    ) -> Callable[[ContextSnippet], int]:
        """Tokens a snippet adds to the block (parts are tokenized one by one, so they add
        up), remembered across requests: a session's chunks are priced once."""
        tokenizer = model.engine.tokenizer
        bos = 0 if tokenizer.bos is None else 1

        def cost(snippet: ContextSnippet) -> int:
            key = (model.name, snippet)
            count = self._counts.get(key)
            if count is None:
                count = len(encode_parts(entry_parts(layout, snippet), tokenizer)) - bos
                self._counts[key] = count
                if len(self._counts) > TOKEN_COUNTS:
                    self._counts.popitem(last=False)
            return count

        return cost


def _layout(model: LoadedModel) -> RepositoryLayout:
    return detect_layout(lambda text: model.engine.tokenizer.special_token(text) is not None)


def _fit_explicit(
    snippets: Sequence[ContextSnippet],
    query: str,
    budget: int,
    cost: Callable[[ContextSnippet], int],
    settings: Settings,
) -> tuple[ContextSnippet, ...]:
    """All snippets when they fit; else the most relevant pieces, in the client's order."""
    if sum(cost(snippet) for snippet in snippets) <= budget:
        return tuple(snippets)
    pieces: list[tuple[int, Chunk]] = []
    for order, snippet in enumerate(snippets):
        if cost(snippet) <= budget:
            whole = Chunk(snippet.path, 0, snippet.text, terms(snippet.text), frozenset())
            pieces.append((order, whole))
        else:
            chunks = split_chunks(
                snippet.path, snippet.text, MIN_CHUNK_LINES, settings.memory_chunk_lines
            )
            pieces.extend((order, chunk) for chunk in chunks)
    scores = bm25_scores(terms(query), [chunk for _, chunk in pieces])
    chosen: list[tuple[int, int, Chunk]] = []
    left = budget
    for _, (order, chunk) in sorted(zip(scores, pieces, strict=True), key=lambda pair: -pair[0]):
        price = cost(ContextSnippet(chunk.path, chunk.text))
        if price <= left:
            chosen.append((order, chunk.start, chunk))
            left -= price
    chosen.sort(key=lambda item: item[:2])
    return tuple(ContextSnippet(chunk.path, chunk.text) for _, _, chunk in chosen)
