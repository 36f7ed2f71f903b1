"""Build the token prompt for a request: parse, pick the template, truncate, tokenize.

Three kinds of completion prompt: *verbatim* (``raw``, or a prompt the client already
templated for this model's FIM family) is passed on as given, control-token spellings
included, because the client wrote the template; a *seed-format* prompt is parsed into the
four variables, fitted into the context by cutting the prefix's start and the suffix's end,
and rendered through the model's (or the request's) template, with user text kept plain.
Other files' context (``repository``) is rendered first, and the current file's code fits
in what it leaves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codefill.errors import BadRequest, ContextOverflow
from codefill.prompt import windows
from codefill.prompt.chat import ChatMessage, render_chat
from codefill.prompt.fim import is_templated
from codefill.prompt.languages import language_for_path
from codefill.prompt.meta import CodeContext, parse_prompt
from codefill.prompt.repository import RepositoryPrompt
from codefill.prompt.templates import PromptPart, Template, from_request_template, parts_text
from codefill.prompt.tokens import encode_parts, encode_with_span
from codefill.prompt.truncate import fit
from codefill.service.models import LoadedModel
from codefill.service.requests import CompletionRequest
from codefill.types import Tokenizer

__all__ = ["BuiltPrompt", "RepositorySource", "chat_prompt", "completion_prompt"]

# the context block for the current file's code, given the prompt's room in tokens
RepositorySource = Callable[[CodeContext, int], RepositoryPrompt]


@dataclass(frozen=True)
class BuiltPrompt:
    """The prompt as parts and tokens; ``context`` is None for verbatim prompts.

    ``prefix_span`` is where the prefix's tokens lie in ``tokens`` (token healing backs
    off from its end, the cursor); None when there is no rendered prefix.
    ``dropped_messages`` is how many older chat messages were left out to fit the context
    (``truncated_tokens`` then counts the tokens they took).
    """

    parts: tuple[PromptPart, ...]
    tokens: tuple[int, ...]
    context: CodeContext | None = None
    truncated_tokens: int = 0
    prefix_span: tuple[int, int] | None = None
    dropped_messages: int = 0

    def fields(self) -> dict[str, str]:
        """The prompt as text for the telemetry log: what the model saw, and the cursor's
        surroundings when the prompt was built from them."""
        fields = {"prompt": parts_text(self.parts)}
        if self.context is not None:
            context = self.context
            fields.update(file_path=context.file_path, prefix=context.prefix)
            fields.update(suffix=context.suffix)
        return fields


def completion_prompt(
    request: CompletionRequest,
    model: LoadedModel,
    context_length: int,
    reserve: int,
    repository: RepositorySource | None = None,
    whole_lines: bool = False,
) -> BuiltPrompt:
    """The prompt for a completion, fitted into ``context_length - reserve`` tokens;
    ``whole_lines`` trims a long prefix and suffix to whole lines (``prompt/windows.py``)."""
    tokenizer = model.engine.tokenizer
    if request.prefix is None and (request.raw or is_templated(request.prompt, model.family)):
        if request.raw and (request.system or request.template):
            raise BadRequest("raw mode does not support template or system", param="raw")
        verbatim = (PromptPart(request.prompt, special=True),)
        tokens = tuple(encode_parts(verbatim, tokenizer))
        return _checked(BuiltPrompt(verbatim, tokens), context_length)
    context = _code_context(request)
    if request.suffix is not None and request.prefix is None:
        if context.suffix:
            raise BadRequest("give the suffix in 'suffix' or after <SUF>, not both", "suffix")
        context = dataclasses.replace(context, suffix=request.suffix)
    if whole_lines:
        prefix, suffix = windows.whole_lines(context.prefix, context.suffix)
        context = dataclasses.replace(context, prefix=prefix, suffix=suffix)
    template = _template(request, model)
    if not template.uses("code_suffix"):
        if request.suffix and request.prefix is None:  # Ollama's `suffix`, in its words;
            # a <SUF> in the prompt (every model takes the seed's form) is only dropped
            raise BadRequest(f"{model.name} does not support insert", param="suffix")
        context = dataclasses.replace(context, suffix="")
    frame = len(encode_parts(template.render(_variables(context, "", "")), tokenizer))
    room = context_length - reserve - frame - 1
    block = repository(context, room) if repository is not None else RepositoryPrompt()
    context, dropped = _fit(context, tokenizer, room - _block_tokens(block, tokenizer))
    variables = context.variables()
    variables["code_prefix"] = block.prefix_head + context.prefix
    parts = block.before + template.render(variables)
    encoded, span = encode_with_span(parts, tokenizer)
    return _checked(BuiltPrompt(parts, tuple(encoded), context, dropped, span), context_length)


def _block_tokens(block: RepositoryPrompt, tokenizer: Tokenizer) -> int:
    if not block.before and not block.prefix_head:
        return 0
    before = encode_parts(block.before, tokenizer)[0 if tokenizer.bos is None else 1 :]
    return len(before) + len(tokenizer.tokenize(block.prefix_head, special=False))


def chat_prompt(
    messages: tuple[ChatMessage, ...],
    model: LoadedModel,
    context_length: int,
    reserve: int = 0,
    tools: tuple[Any, ...] = (),
) -> BuiltPrompt:
    """The chat's prompt, fitted into ``context_length - reserve`` tokens as Ollama fits a
    chat: the system messages and the latest turns stay, older turns are left out whole
    (never a message cut in the middle); ``tools`` stay, like the system messages. Only
    when even the system messages and the last message do not fit the context is it
    refused."""

    def render(kept: tuple[ChatMessage, ...]) -> BuiltPrompt:
        info = model.engine.info
        parts = render_chat(
            info.chat_template,
            kept,
            bos_token=info.bos_text,
            eos_token=info.eos_text,
            tools=tools,
        )
        return BuiltPrompt(parts, tuple(encode_parts(parts, model.engine.tokenizer)))

    budget = context_length - reserve
    whole = render(messages)
    if len(whole.tokens) < budget:
        return _checked(whole, context_length)
    starts = _turn_starts(messages)
    low, high = 0, len(starts) - 1  # find the first start (most kept) whose prompt fits
    best = render(_from_turn(messages, starts[high]))
    best_start = starts[high]
    while low < high:
        middle = (low + high) // 2
        candidate = render(_from_turn(messages, starts[middle]))
        if len(candidate.tokens) < budget:
            best, best_start, high = candidate, starts[middle], middle
        else:
            low = middle + 1
    kept = _from_turn(messages, best_start)
    dropped = len(whole.tokens) - len(best.tokens)
    fitted = dataclasses.replace(
        best, truncated_tokens=max(dropped, 0), dropped_messages=len(messages) - len(kept)
    )
    return _checked(fitted, context_length)


def _turn_starts(messages: tuple[ChatMessage, ...]) -> list[int]:
    """Where a shortened chat may start: at a user message after the first message, or at
    the last message (which is always kept)."""
    last = len(messages) - 1
    starts = [i for i in range(1, last) if messages[i].role == "user"]
    return [*starts, last] if last > 0 else [0]


def _from_turn(messages: tuple[ChatMessage, ...], start: int) -> tuple[ChatMessage, ...]:
    """The system messages before ``start``, then every message from ``start`` on."""
    return tuple(m for m in messages[:start] if m.role == "system") + messages[start:]


def _code_context(request: CompletionRequest) -> CodeContext:
    """The four variables: parsed from a seed-format prompt, or given as fields.

    The language is the request's, else the file's, else that of the last of the other
    files' names. Other files' text (``extra``) is not code of this file: it is rendered in
    the model's repository layout (``repository``), before the file.
    """
    if request.prefix is None:
        return parse_prompt(request.prompt)
    names = [f.path for f in request.extra if f.path]
    language = request.language or language_for_path(request.file_path)
    return CodeContext(
        language=language or (language_for_path(names[-1]) if names else ""),
        file_path=request.file_path,
        prefix=request.prefix,
        suffix=request.suffix or "",
    )


def _template(request: CompletionRequest, model: LoadedModel) -> Template:
    if request.template is None:
        return model.template
    try:
        return from_request_template(request.template, request.system or "")
    except ValueError as error:
        raise BadRequest(f"invalid template: {error}", param="template") from None


def _variables(context: CodeContext, prefix: str, suffix: str) -> dict[str, str]:
    return dataclasses.replace(context, prefix=prefix, suffix=suffix).variables()


def _fit(context: CodeContext, tokenizer: Tokenizer, budget: int) -> tuple[CodeContext, int]:
    """Cut the prefix's start and the suffix's end, by tokens, until both fit ``budget``."""
    if len(context.prefix.encode()) + len(context.suffix.encode()) <= budget:
        return context, 0  # a token is at least one byte: nothing to cut
    prefix = tokenizer.tokenize(context.prefix, special=False)
    suffix = tokenizer.tokenize(context.suffix, special=False)
    keep_prefix, keep_suffix = fit(len(prefix), len(suffix), budget)
    dropped = len(prefix) - keep_prefix + len(suffix) - keep_suffix
    if not dropped:
        return context, 0
    kept_prefix = prefix[len(prefix) - keep_prefix :] if keep_prefix else []
    cut = dataclasses.replace(
        context,
        prefix=tokenizer.detokenize(kept_prefix).lstrip("\ufffd"),
        suffix=tokenizer.detokenize(suffix[:keep_suffix]).rstrip("\ufffd"),
    )
    return cut, dropped


def _checked(prompt: BuiltPrompt, context_length: int) -> BuiltPrompt:
    if not prompt.tokens:
        raise BadRequest("the prompt is empty", param="prompt")
    if len(prompt.tokens) >= context_length:
        raise ContextOverflow(
            f"the prompt has {len(prompt.tokens)} tokens and cannot be shortened to fit the "
            f"context of {context_length} tokens",
            param="prompt",
        )
    return prompt
