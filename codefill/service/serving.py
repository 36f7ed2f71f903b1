"""Turn a request into a running :class:`Completion`: model, prompt, lookups, engine job.

Everything that can refuse a request (unknown model, bad markers, a prompt too long, a full
queue) happens here, before the HTTP layer sends its first byte. Code completions also go
through the live registry: type-ahead (answer from an earlier completion the user is typing
through) and supersession (a newer request from the same editor and file ends the older
one). Chat goes the same way without those two lookups and without post-processing.
"""

from __future__ import annotations

import asyncio
import functools
import time

from codefill.engine.base import Job
from codefill.errors import BadRequest, Overloaded
from codefill.postprocess import CompletionContext, PostprocessOptions, PostProcessor
from codefill.prompt.templates import parts_text
from codefill.service.completion import Completion, TextFilter
from codefill.service.healing import heal, healing_wanted
from codefill.service.live import CompletionKey, LiveCompletions, session_key
from codefill.service.models import LoadedModel, ModelManager
from codefill.service.prompting import BuiltPrompt, chat_prompt, completion_prompt
from codefill.service.repository import RepositoryContext
from codefill.service.requests import ChatRequest, CompletionRequest
from codefill.service.sampling import sampling_params, wanted_tokens
from codefill.service.telemetry import Telemetry
from codefill.service.typing import TypingBursts
from codefill.settings import Settings

__all__ = ["Serving"]


class Serving:
    """Starts completions for every dialect; one per server, on ``app.state.serving``."""

    def __init__(self, manager: ModelManager, telemetry: Telemetry | None = None) -> None:
        self.manager = manager
        self.settings: Settings = manager.settings
        self.live = LiveCompletions()
        self.typing = TypingBursts(self.settings.typing_hold_ms / 1000)
        self.repository = RepositoryContext(self.settings)
        self.telemetry = Telemetry(self.settings) if telemetry is None else telemetry
        self.draining = False

    def drain(self, grace: float) -> None:
        """Shutting down: refuse new work; after ``grace`` seconds end the rest cleanly.

        Ended completions still send a final message (``cancelled``), so no client is left
        with a stream cut in the middle.
        """
        self.draining = True
        asyncio.get_running_loop().call_later(grace, self.live.cancel_all)

    async def render(self, request: CompletionRequest) -> tuple[LoadedModel, BuiltPrompt]:
        """The model and the prompt it would be given for ``request``."""
        model = await self.manager.get(request.model)
        return model, self._prompt(request, model)

    async def start(self, request: CompletionRequest | ChatRequest) -> Completion:
        """A started completion for ``request``; raises what refuses it."""
        if self.draining:
            raise Overloaded("the server is shutting down", retry_after=5)
        started = time.perf_counter()
        model = await self.manager.get(request.model, request.keep_alive)
        load_seconds = time.perf_counter() - started
        if isinstance(request, ChatRequest):
            return self._chat(request, model, started, load_seconds)
        return self._complete(request, model, started, load_seconds)

    def _complete(
        self, request: CompletionRequest, model: LoadedModel, started: float, load_seconds: float
    ) -> Completion:
        prompt = self._prompt(request, model)
        context = prompt.context
        session = session_key(request.client, model.name, context.file_path if context else "")
        key = session if self.settings.supersede else None  # the session still routes replicas
        typeahead = self._typeahead_key(request, model, prompt)
        if typeahead is not None and context is not None:
            found = self.live.typed_into(typeahead, context.prefix)
            if found is not None:
                return self._follow(model, prompt, request, key, *found, started)
        if key is not None:
            self.live.supersede(key)
        text_filter = self._filter(request, model, prompt)
        hold = 0.0
        if context is not None:
            typist = session or f"{request.client.address}\x00{request.client.user_agent}"
            hold = self.typing.hold(typist, context.prefix, context.suffix, started)
        completion = self._launch(
            model, prompt, request, session, text_filter, (started, load_seconds), hold
        )
        if key is not None:
            self.live.claim(key, completion)
        if typeahead is not None and context is not None:
            self.live.remember(typeahead, context.prefix, completion)
        return completion

    def _chat(
        self, request: ChatRequest, model: LoadedModel, started: float, load_seconds: float
    ) -> Completion:
        if request.tools and "tools" not in model.capabilities:
            raise BadRequest(f"{model.name} does not support tools", param="tools")
        context_length = self._context(model, request.num_ctx)
        default = self.settings.default_max_tokens
        wanted = wanted_tokens(request.sampling, request.dialect, chat=True, default=default)
        reserve = min(wanted if wanted > 0 else default, context_length // 2)
        prompt = chat_prompt(request.messages, model, context_length, reserve, request.tools)
        session = session_key(request.client, model.name, "")  # X-Codefill-Session only
        return self._launch(model, prompt, request, session, None, (started, load_seconds))

    def _launch(
        self,
        model: LoadedModel,
        prompt: BuiltPrompt,
        request: CompletionRequest | ChatRequest,
        session: str | None,
        text_filter: TextFilter | None,
        arrival: tuple[float, float],
        hold: float = 0.0,
    ) -> Completion:
        """Queue the engine job (a full queue raises here) and start reading its output.

        ``arrival`` is when the request came and how long its model took to load; ``hold``
        how long the engine waits before starting it (a keystroke in a burst of typing).
        """
        chat = isinstance(request, ChatRequest)
        messages: tuple[tuple[str, str], ...] = ()
        if isinstance(request, ChatRequest):
            messages = tuple((m.role, m.content) for m in request.messages)
        sampling = sampling_params(
            request.sampling,
            request.dialect,
            chat=chat,
            settings=self.settings,
            room=self._context(model, request.num_ctx) - len(prompt.tokens),
            stops=model.stops,
        )
        healing = heal(prompt, model, self._heals(request, model))
        job = Job(
            healing.tokens,
            sampling,
            text=parts_text(prompt.parts),
            messages=messages,
            session=session,
            retype=healing.retype,
            backed_off=healing.removed,
            hold=hold,
        )
        stream = model.engine.generate(job)
        completion = Completion(
            model=model.name,
            source=stream,
            abort=functools.partial(model.engine.abort, job.id),
            text_filter=text_filter,
            prompt_ids=prompt.tokens,
            tokenizer=model.engine.tokenizer,
            prompt_tokens=len(prompt.tokens),
            truncated_tokens=prompt.truncated_tokens,
            dropped_messages=prompt.dropped_messages,
            language=prompt.context.language if prompt.context else "",
            dialect=request.dialect,
            started=arrival[0],
            load_seconds=arrival[1],
            hold_seconds=hold,
        )
        self.live.add(completion.start())
        self.telemetry.track(completion, prompt.fields)
        return completion

    def _follow(
        self,
        model: LoadedModel,
        prompt: BuiltPrompt,
        request: CompletionRequest,
        key: str | None,
        earlier: Completion,
        offset: int,
        started: float,
    ) -> Completion:
        """Answer from an earlier completion the user is typing through (type-ahead)."""
        if key is not None:
            if self.live.of_session(key) is not earlier:
                self.live.supersede(key)
            self.live.claim(key, earlier)  # a keystroke that diverges ends the model's work
        source = earlier.reader(offset)
        completion = Completion(
            model=model.name,
            source=source,
            abort=source.close,
            prompt_ids=prompt.tokens,
            tokenizer=model.engine.tokenizer,
            prompt_tokens=len(prompt.tokens),
            truncated_tokens=prompt.truncated_tokens,
            language=earlier.language,
            dialect=request.dialect,
            typeahead=True,
            started=started,
        )
        self.live.add(completion.start())
        self.telemetry.track(completion, prompt.fields)
        return completion

    def _prompt(self, request: CompletionRequest, model: LoadedModel) -> BuiltPrompt:
        context_length = self._context(model, request.num_ctx)
        reserve = self._wanted(request)
        if reserve <= 0:
            reserve = self.settings.default_max_tokens
        self.repository.check(request)
        block = functools.partial(self.repository.block, request, model)
        return completion_prompt(
            request,
            model,
            context_length,
            min(reserve, context_length // 2),
            block,
            whole_lines=self.settings.whole_line_windows,
        )

    def _wanted(self, request: CompletionRequest) -> int:
        default = self.settings.default_max_tokens
        return wanted_tokens(request.sampling, request.dialect, chat=False, default=default)

    def _context(self, model: LoadedModel, num_ctx: int | None) -> int:
        length = model.engine.info.context_length
        return min(length, num_ctx) if num_ctx else length

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
        # a request's own stop strings also end generation as "stop": not the model's end
        model_end = 0 if request.sampling.stop else model.config.model_end_lines
        return PostProcessor(
            CompletionContext(context.prefix, context.suffix, context.language),
            PostprocessOptions(model_end=model_end),
        )

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
            max_tokens=self._wanted(request),
            postprocess=self._postprocess(request, model),
            token_healing=healing_wanted(request, model, self.settings),
        )

    def _heals(self, request: CompletionRequest | ChatRequest, model: LoadedModel) -> bool:
        """Chat never heals: its prompt ends on the template's tokens, not at a cursor."""
        return isinstance(request, CompletionRequest) and healing_wanted(
            request, model, self.settings
        )
