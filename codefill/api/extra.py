"""Extra context in a request body: ``input_extra``, llama.cpp's shape, on every completion route.

``[{"filename": "utils.py", "text": "def helper(x):\\n    ..."}]``: pieces of other files the
client wants the model to see. llama.cpp's ``/infill`` defines the field; codefill takes the
same field on Ollama's ``/api/generate`` and OpenAI's ``/v1/completions`` (Ollama's own
``context`` is a list of token ids from an earlier answer, a different thing). Each string
is limited by ``max_string_chars`` and the number of pieces by ``max_context_snippets``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import StrictStr

from codefill.api.wire import WireModel
from codefill.service.requests import ContextSnippet

__all__ = ["ExtraChunk", "snippets"]


class ExtraChunk(WireModel):
    """A piece of another file (llama.vim's ring buffer of context)."""

    filename: StrictStr = ""
    text: StrictStr = ""


def snippets(chunks: Iterable[ExtraChunk]) -> tuple[ContextSnippet, ...]:
    """The service's dialect-neutral records; pieces without text are left out."""
    return tuple(ContextSnippet(c.filename, c.text) for c in chunks if c.text.strip())
