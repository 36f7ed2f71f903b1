"""Start generations: resolve the model, build the prompt, reuse or supersede, queue the job.

Everything that can refuse a request (unknown model, bad markers, a prompt too long, a full
queue) happens before the HTTP layer sends its first byte; what comes back is a :class:`Run`
whose stream yields the text. Completions also go through type-ahead (answer from an earlier
completion the user is typing through), supersession (a newer request from the same editor
and file ends the older one) and post-processing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from codefill.engine.base import Delta, DeltaStream, Job, SamplingParams
from codefill.errors import BadRequest, EngineError, Overloaded
from codefill.postprocess import CompletionContext, PostProcessor
from codefill.prompt.templates import parts_text
from codefill.service.generation import Generation, Subscription, TextFilter
from codefill.service.models import LoadedModel, ModelManager
from codefill.service.prompting import BuiltPrompt, chat_prompt, completion_prompt
from codefill.service.repository import RepositoryContext
from codefill.service.requests import ChatRequest, CompletionRequest
from codefill.service.supersession import Supersession, session_key
from codefill.service.typeahead import CompletionKey, TypeAhead
from codefill.settings import Settings

__all__ = ["CompletionService", "Run"]


@dataclass(eq=False)  # runs are kept in a set by identity
class Run:
    """A started generation: which model, its prompt size, and its stream of deltas.

    Reading ``stream`` also records when the first text came and the final delta, for the
    access log and the metrics.
    """

    model: str
    prompt_tokens: int
    source: DeltaStream | Subscription
    started: float
    created: float
    load_seconds: float
    truncated_tokens: int = 0
    typeahead: bool = False
    first_token_at: float | None = None
    final: Delta | None = None
    cancel: Callable[[], None] = lambda: None
    on_end: Callable[[Run], None] = lambda run: None

    @property
    def stream(self) -> Run:
        return self

    def __aiter__(self) -> Run:
        return self

    async def __anext__(self) -> Delta:
        delta = await self.source.__anext__()
        if delta.text and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        if delta.finish is not None:
            self.final = delta
            if delta.usage and delta.usage.prompt_tokens and not self.typeahead:
                self.prompt_tokens = delta.usage.prompt_tokens  # a remote engine's own count
            self.on_end(self)
        return delta

    async def aclose(self) -> None:
        self.on_end(self)
        await self.source.aclose()

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
        self.settings: Settings = manager.settings
        self.supersession = Supersession()
        self.typeahead = TypeAhead()
        self.repository = RepositoryContext(self.settings)
        self.draining = False
        self._live: set[Run] = set()

    def drain(self, grace: float) -> None:
        """Shutting down: refuse new work; after ``grace`` seconds end the rest cleanly.

        Ended runs still send a final message (``cancelled``), so no client is left with
        a stream cut in the middle.
        """
        self.draining = True
        asyncio.get_running_loop().call_later(grace, self._cancel_all)

    def _cancel_all(self) -> None:
        for run in list(self._live):
            run.cancel()

    def _refuse_when_draining(self) -> None:
        if self.draining:
            raise Overloaded("the server is shutting down", retry_after=5)

    async def render(self, request: CompletionRequest) -> tuple[LoadedModel, BuiltPrompt]:
        """The model and the prompt it would be given for ``request``."""
        model = await self.manager.get(request.model)
        return model, self._build(request, model)

    async def complete(self, request: CompletionRequest) -> Run:
        self._refuse_when_draining()
        started = time.perf_counter()
        model = await self.manager.get(request.model, request.keep_alive)
        load_seconds = time.perf_counter() - started
        prompt = self._build(request, model)
        context = prompt.context
        session = session_key(request.client, model.name, context.file_path if context else "")
        key = session if self.settings.supersede else None  # the session still routes replicas
        typeahead_key = self._typeahead_key(request, model, prompt)
        if typeahead_key is not None and context is not None:
            found = self.typeahead.find(typeahead_key, context.prefix)
            if found is not None:
                return self._follow(model, prompt, key, *found, started)
        if key is not None:
            self.supersession.supersede(key)
        sampling = self._sampling(request.sampling, model, prompt, request.num_ctx)
        job = Job(prompt.tokens, sampling, text=parts_text(prompt.parts), session=session)
        stream = model.engine.generate(job)
        generation = Generation(
            stream, lambda: model.engine.abort(job.id), self._filter(request, model, prompt)
        )
        if key is not None:
            self.supersession.claim(key, generation)
        if typeahead_key is not None and context is not None:
            self.typeahead.remember(typeahead_key, context.prefix, generation)
        subscription = generation.subscribe()
        return self._run(model, prompt, subscription, started, load_seconds, generation.cancel)

    def _follow(
        self,
        model: LoadedModel,
        prompt: BuiltPrompt,
        key: str | None,
        generation: Generation,
        offset: int,
        started: float,
    ) -> Run:
        """Answer from an earlier generation the user is typing through (type-ahead)."""
        if key is not None:
            if self.supersession.current(key) is not generation:
                self.supersession.supersede(key)
            self.supersession.claim(key, generation)
        subscription = generation.subscribe(offset)
        run = self._run(model, prompt, subscription, started, 0.0, generation.cancel)
        run.typeahead = True
        return run

    async def chat(self, request: ChatRequest) -> Run:
        self._refuse_when_draining()
        started = time.perf_counter()
        model = await self.manager.get(request.model, request.keep_alive)
        load_seconds = time.perf_counter() - started
        prompt = chat_prompt(request.messages, model, self._context(model, request.num_ctx))
        sampling = self._sampling(request.sampling, model, prompt, request.num_ctx)
        messages = tuple((m.role, m.content) for m in request.messages)
        session = session_key(request.client, model.name, "")  # X-Codefill-Session only
        job = Job(
            prompt.tokens,
            sampling,
            text=parts_text(prompt.parts),
            messages=messages,
            session=session,
        )
        stream = model.engine.generate(job)
        cancel = functools.partial(model.engine.abort, job.id)
        return self._run(model, prompt, stream, started, load_seconds, cancel)

    def _build(self, request: CompletionRequest, model: LoadedModel) -> BuiltPrompt:
        context_length = self._context(model, request.num_ctx)
        reserve = self._max_tokens(request.sampling.max_tokens)
        self.repository.check(request)
        block = functools.partial(self.repository.block, request, model)
        return completion_prompt(
            request, model, context_length, min(reserve, context_length // 2), block
        )

    def _context(self, model: LoadedModel, num_ctx: int | None) -> int:
        length = model.engine.info.context_length
        return min(length, num_ctx) if num_ctx else length

    def _max_tokens(self, requested: int) -> int:
        return requested if requested > 0 else self.settings.default_max_tokens

    def _sampling(
        self,
        sampling: SamplingParams,
        model: LoadedModel,
        prompt: BuiltPrompt,
        num_ctx: int | None,
    ) -> SamplingParams:
        limit = self.settings.max_tokens_limit
        if sampling.max_tokens > limit:
            raise BadRequest(
                f"asked for {sampling.max_tokens} tokens; this server generates at most {limit}",
                param="max_tokens",
            )
        room = min(self._context(model, num_ctx) - len(prompt.tokens), limit)
        wanted = room if sampling.max_tokens <= 0 else min(sampling.max_tokens, room)
        stops = tuple(dict.fromkeys((*sampling.stop, *model.stops)))
        budget = self.settings.max_generation_seconds
        if sampling.time_budget is not None:
            budget = min(budget, sampling.time_budget)
        return dataclasses.replace(
            sampling, max_tokens=max(wanted, 1), stop=stops, time_budget=budget
        )

    def _postprocess(self, request: CompletionRequest, model: LoadedModel) -> bool:
        if request.postprocess is not None:
            return request.postprocess
        if model.config.postprocess is not None:
            return model.config.postprocess
        return self.settings.postprocess

    def _filter(
        self, request: CompletionRequest, model: LoadedModel, prompt: BuiltPrompt
    ) -> TextFilter | None:
        context = prompt.context
        if context is None or not self._postprocess(request, model):
            return None
        return PostProcessor(CompletionContext(context.prefix, context.suffix, context.language))

    def _typeahead_key(
        self, request: CompletionRequest, model: LoadedModel, prompt: BuiltPrompt
    ) -> CompletionKey | None:
        context = prompt.context
        if context is None or not self.settings.typeahead:
            return None
        return CompletionKey(
            model=model.name,
            template=request.template or model.template.source,
            language=context.language,
            file_path=context.file_path,
            suffix=context.suffix,
            stop=request.sampling.stop,
            max_tokens=request.sampling.max_tokens,
            postprocess=self._postprocess(request, model),
        )

    def _run(
        self,
        model: LoadedModel,
        prompt: BuiltPrompt,
        stream: DeltaStream | Subscription,
        started: float,
        load_seconds: float,
        cancel: Callable[[], None],
    ) -> Run:
        run = Run(
            model=model.name,
            prompt_tokens=len(prompt.tokens),
            source=stream,
            started=started,
            created=time.time(),
            load_seconds=load_seconds,
            truncated_tokens=prompt.truncated_tokens,
        )
        run.cancel = cancel
        run.on_end = self._live.discard
        self._live.add(run)
        return run
