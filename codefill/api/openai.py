"""The OpenAI dialect: chat completions at ``/chat/completions`` and ``/v1/chat/completions``.

Both prefixes are served because openai-python joins paths to ``base_url`` as given:
``http://host:8080`` gives ``/chat/completions``, ``http://host:8080/v1`` the ``/v1`` form.
Streams are SSE: a first chunk with the role, one chunk per piece, a chunk with the
``finish_reason``, an optional usage chunk, then ``data: [DONE]``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.errors import openai_error_body
from codefill.api.openai_schemas import ChatCompletionRequest
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.wire import dumps, read_model
from codefill.engine.base import Delta, FinishReason, SamplingParams, Usage
from codefill.errors import CodefillError
from codefill.prompt.chat import ChatMessage
from codefill.service.completion import CompletionService, Run
from codefill.service.requests import ChatRequest

__all__ = ["router"]

router = APIRouter()

SSE = "text/event-stream"
_FINISH = {FinishReason.STOP: "stop", FinishReason.LENGTH: "length", FinishReason.CANCELLED: "stop"}


@router.post("/chat/completions")
@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    body = await read_model(request, ChatCompletionRequest)
    service: CompletionService = request.app.state.service
    messages = tuple(ChatMessage(m.role, m.text()) for m in body.messages)
    max_tokens = body.max_completion_tokens or body.max_tokens or 0
    run = await service.chat(ChatRequest(body.model, messages, _sampling(body, max_tokens)))
    encoder = ChatEncoder(body.model, run)
    if not body.stream:
        text, final = await until_disconnect(request, run.collect())
        return Response(dumps(encoder.completion(text, final)), media_type="application/json")
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    return WatchedStreamingResponse(encoder.stream(include_usage), media_type=SSE)


def _sampling(body: ChatCompletionRequest, max_tokens: int) -> SamplingParams:
    """OpenAI's defaults (temperature 1, top_p 1) unless the request says otherwise."""
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=1.0 if body.temperature is None else body.temperature,
        top_p=1.0 if body.top_p is None else body.top_p,
        top_k=body.top_k or 0,
        min_p=body.min_p or 0.0,
        repeat_penalty=body.repeat_penalty or 1.0,
        presence_penalty=body.presence_penalty or 0.0,
        frequency_penalty=body.frequency_penalty or 0.0,
        seed=body.seed,
        stop=body.stops(),
    )


def _usage(run: Run, usage: Usage | None) -> dict[str, int]:
    completion = usage.completion_tokens if usage else 0
    return {
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": run.prompt_tokens + completion,
    }


@dataclass
class ChatEncoder:
    model: str
    run: Run
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")

    def _head(self, kind: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": int(self.run.created),
            "model": self.model,
        }

    def completion(self, text: str, final: Delta) -> dict[str, Any]:
        body = self._head("chat.completion")
        body["system_fingerprint"] = "codefill"
        body["choices"] = [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": _FINISH[final.finish or FinishReason.STOP],
            }
        ]
        body["usage"] = _usage(self.run, final.usage)
        return body

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        body = self._head("chat.completion.chunk")
        body["system_fingerprint"] = "codefill"
        body["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        return f"data: {dumps(body)}\n\n"

    async def stream(self, include_usage: bool) -> AsyncIterator[str]:
        yield self.chunk({"role": "assistant", "content": ""})
        async with contextlib.aclosing(self.run.stream) as deltas:
            try:
                async for delta in deltas:
                    if delta.text:
                        yield self.chunk({"content": delta.text})
                    if delta.finish is not None:
                        yield self.chunk({}, _FINISH[delta.finish])
                        if include_usage:
                            body = self._head("chat.completion.chunk")
                            body["choices"] = []
                            body["usage"] = _usage(self.run, delta.usage)
                            yield f"data: {dumps(body)}\n\n"
                        break
            except CodefillError as error:
                yield f"data: {dumps(openai_error_body(error))}\n\n"
        yield "data: [DONE]\n\n"
