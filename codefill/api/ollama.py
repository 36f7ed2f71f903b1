"""The Ollama dialect: ``/api/generate`` in the seed's format or Ollama's native one.

The seed format (the default) answers with ``input_tokens``, ``output_tokens`` and a float
``total_duration`` in seconds. Ollama's official client libraries cannot parse a float
duration, so requests whose User-Agent names one of them, or every request when the server
runs with ``ollama_format = "native"``, get Ollama's integer-nanosecond metrics instead.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.ollama_schemas import GenerateRequest, Options
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.wire import dumps, read_model
from codefill.engine.base import Delta, SamplingParams, Usage
from codefill.errors import CodefillError
from codefill.service.completion import CompletionService, Run
from codefill.service.requests import CompletionRequest
from codefill.settings import Settings

__all__ = ["router"]

router = APIRouter()

NDJSON = "application/x-ndjson"
_OFFICIAL_CLIENTS = ("ollama-python/", "ollama-js/")


@router.post("/api/generate")
async def generate(request: Request) -> Response:
    body = await read_model(request, GenerateRequest)
    service: CompletionService = request.app.state.service
    settings: Settings = request.app.state.settings
    encoder = OllamaEncoder(body.model, native=_wants_native(request, settings))
    sampling = sampling_from_options(body.options, settings.default_max_tokens)
    if body.prompt == "" and not body.suffix:
        await service.manager.get(body.model)
        return _json_line(encoder.loaded())
    run = await service.complete(
        CompletionRequest(
            model=body.model,
            prompt=body.prompt,
            sampling=sampling,
            suffix=body.suffix,
            raw=body.raw,
        )
    )
    if body.stream is False:
        text, final = await until_disconnect(request, run.collect())
        return _json_line(encoder.final(run, final, text))
    return WatchedStreamingResponse(encoder.stream(run), media_type=NDJSON)


def sampling_from_options(options: Options | None, default_max_tokens: int) -> SamplingParams:
    """Ollama's defaults, overridden by the request's ``options``."""
    options = options or Options()
    stop = [options.stop] if isinstance(options.stop, str) else options.stop or []
    max_tokens = default_max_tokens if options.num_predict is None else options.num_predict
    seed = options.seed if options.seed is not None and options.seed >= 0 else None
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=_pick(options.temperature, 0.8),
        top_p=_pick(options.top_p, 0.9),
        top_k=_pick(options.top_k, 40),
        min_p=_pick(options.min_p, 0.0),
        repeat_penalty=_pick(options.repeat_penalty, 1.0),
        repeat_last_n=_pick(options.repeat_last_n, 64),
        presence_penalty=_pick(options.presence_penalty, 0.0),
        frequency_penalty=_pick(options.frequency_penalty, 0.0),
        seed=seed,
        stop=tuple(stop),
    )


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _wants_native(request: Request, settings: Settings) -> bool:
    agent = request.headers.get("user-agent", "")
    return settings.ollama_format == "native" or agent.startswith(_OFFICIAL_CLIENTS)


def _json_line(body: dict[str, Any]) -> Response:
    return Response(dumps(body) + "\n", media_type="application/json")


def _now() -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OllamaEncoder:
    """Builds the objects of one answer; ``native`` picks Ollama's metrics over the seed's."""

    model: str
    native: bool

    def piece(self, text: str) -> dict[str, Any]:
        return {"model": self.model, "created_at": _now(), "response": text, "done": False}

    def final(self, run: Run, delta: Delta, text: str = "") -> dict[str, Any]:
        usage = delta.usage or Usage()
        body: dict[str, Any] = {"model": self.model, "created_at": _now(), "response": text}
        body["done"] = True
        body["done_reason"] = delta.finish.value if delta.finish else "stop"
        body.update(self._metrics(run, usage))
        return body

    def loaded(self) -> dict[str, Any]:
        body = {"model": self.model, "created_at": _now(), "response": "", "done": True}
        body["done_reason"] = "load"
        return body

    def _metrics(self, run: Run, usage: Usage) -> dict[str, Any]:
        total = run.elapsed
        if not self.native:
            return {
                "input_tokens": run.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_duration": round(total, 3),
            }
        return {
            "total_duration": _ns(total),
            "load_duration": _ns(run.load_seconds),
            "prompt_eval_count": run.prompt_tokens,
            "prompt_eval_duration": _ns(usage.prompt_seconds),
            "eval_count": usage.completion_tokens,
            "eval_duration": _ns(usage.generation_seconds),
        }

    async def stream(self, run: Run) -> AsyncIterator[str]:
        """NDJSON lines: one per piece of text, then the final line; errors in-band."""
        async with contextlib.aclosing(run.stream) as deltas:
            try:
                async for delta in deltas:
                    if delta.text:
                        yield dumps(self.piece(delta.text)) + "\n"
                    if delta.finish is not None:
                        yield dumps(self.final(run, delta)) + "\n"
                        return
            except CodefillError as error:
                yield dumps({"error": error.message}) + "\n"


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)
