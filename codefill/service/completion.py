"""Start generations: resolve the model, build and tokenize the prompt, queue the job.

Everything that can refuse a request (unknown model, bad markers, a prompt too long, a full
queue) happens in :meth:`CompletionService.complete` / :meth:`chat`, before the HTTP layer
sends its first byte; what comes back is a :class:`Run` whose stream yields the text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass

from codefill.engine.base import Delta, DeltaStream, Job, SamplingParams
from codefill.errors import EngineError
from codefill.prompt.chat import render_chat
from codefill.prompt.meta import parse_prompt
from codefill.prompt.templates import PromptPart, parts_text, plain
from codefill.prompt.tokens import encode_parts
from codefill.service.models import LoadedModel, ModelManager
from codefill.service.requests import ChatRequest, CompletionRequest

__all__ = ["CompletionService", "Run"]


@dataclass
class Run:
    """A queued generation: which model, how long its prompt is, and its deltas."""

    model: str
    prompt_tokens: int
    stream: DeltaStream
    started: float
    created: float
    load_seconds: float

    async def collect(self) -> tuple[str, Delta]:
        """Read the whole answer: its text and the final delta."""
        pieces: list[str] = []
        async with contextlib.aclosing(self.stream) as stream:
            async for delta in stream:
                pieces.append(delta.text)
                if delta.finish is not None:
                    return "".join(pieces), delta
        raise EngineError("the generation ended without a final result")

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class CompletionService:
    def __init__(self, manager: ModelManager) -> None:
        self.manager = manager

    async def render(
        self, request: CompletionRequest
    ) -> tuple[LoadedModel, tuple[PromptPart, ...]]:
        """The model and the prompt parts it would be given for ``request``."""
        model = await self.manager.get(request.model)
        return model, self._completion_parts(model, request)

    async def complete(self, request: CompletionRequest) -> Run:
        started = time.perf_counter()
        model = await self.manager.get(request.model)
        load_seconds = time.perf_counter() - started
        parts = self._completion_parts(model, request)
        return self._start(model, parts, request.sampling, started, load_seconds)

    async def chat(self, request: ChatRequest) -> Run:
        started = time.perf_counter()
        model = await self.manager.get(request.model)
        load_seconds = time.perf_counter() - started
        info = model.engine.info
        parts = render_chat(
            info.chat_template,
            request.messages,
            bos_token=info.bos_text,
            eos_token=info.eos_text,
        )
        messages = tuple((m.role, m.content) for m in request.messages)
        return self._start(model, parts, request.sampling, started, load_seconds, messages)

    @staticmethod
    def _completion_parts(model: LoadedModel, request: CompletionRequest) -> tuple[PromptPart, ...]:
        if request.raw:
            return plain(request.prompt)
        context = parse_prompt(request.prompt)
        return model.template.render(context.variables())

    def _start(
        self,
        model: LoadedModel,
        parts: tuple[PromptPart, ...],
        sampling: SamplingParams,
        started: float,
        load_seconds: float,
        messages: tuple[tuple[str, str], ...] = (),
    ) -> Run:
        tokens = encode_parts(parts, model.engine.tokenizer)
        room = model.engine.info.context_length - len(tokens)
        max_tokens = room if sampling.max_tokens <= 0 else min(sampling.max_tokens, room)
        sampling = dataclasses.replace(
            sampling,
            max_tokens=max(max_tokens, 1),
            stop=tuple(dict.fromkeys((*sampling.stop, *model.stops))),
        )
        job = Job(tuple(tokens), sampling, text=parts_text(parts), messages=messages)
        stream = model.engine.generate(job)
        return Run(
            model=model.name,
            prompt_tokens=len(tokens),
            stream=stream,
            started=started,
            created=time.time(),
            load_seconds=load_seconds,
        )
