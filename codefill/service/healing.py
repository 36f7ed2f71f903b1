"""Token healing for a completion: whether it applies, and the prompt backed off for it.

The switch is the request's ``token_healing``, else the model's, else the server's (on by
default). Healing needs an engine that constrains the first tokens (the local llama.cpp
engine; a remote engine sends its text prompt as it is) and a prompt whose cursor is known:
one rendered from the seed format or ``/infill`` fields, not a verbatim (raw or
client-templated) one. Chat never heals. See docs/token-healing.md.
"""

from __future__ import annotations

from codefill.prompt.healing import Healing, back_off
from codefill.service.models import LoadedModel
from codefill.service.prompting import BuiltPrompt
from codefill.service.requests import CompletionRequest
from codefill.settings import Settings

__all__ = ["heal", "healing_wanted"]


def healing_wanted(request: CompletionRequest, model: LoadedModel, settings: Settings) -> bool:
    """The request's switch, else the model's, else the server's."""
    for choice in (request.token_healing, model.config.token_healing):
        if choice is not None:
            return choice
    return settings.token_healing


def heal(prompt: BuiltPrompt, model: LoadedModel, wanted: bool) -> Healing:
    """The prompt backed off before the cursor, or unchanged where healing does not apply."""
    context, span = prompt.context, prompt.prefix_span
    if not wanted or not model.engine.can_heal or context is None or span is None:
        return Healing(prompt.tokens)
    return back_off(prompt.tokens, span, context.prefix, model.engine.tokenizer.piece)
