"""A stand-in OpenAI-compatible upstream that serves one request at a time at a fixed token rate.

It stands for a replica whose speed does not depend on this machine's CPUs (a GPU node), so
the benchmark can show what routing does with replicas that are each a fixed capacity, and
measure codefill's own added latency against an upstream that answers at once
(``--token-delay 0``). Every answer is ``max_tokens`` pieces of `` x``.

    python benchmarks/stub_upstream.py --port 9000 --token-delay 0.01
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def build(token_delay: float) -> Starlette:
    one_at_a_time = asyncio.Lock()

    def chunk(text: str, finish: str | None) -> str:
        body = {"object": "text_completion", "choices": [{"text": text, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"

    async def pieces(count: int) -> AsyncIterator[str]:
        async with one_at_a_time:
            for _ in range(count):
                if token_delay:
                    await asyncio.sleep(token_delay)
                yield " x"

    async def completions(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        count = int(body.get("max_tokens", 16))
        usage = {"prompt_tokens": 8, "completion_tokens": count, "total_tokens": 8 + count}
        if not body.get("stream"):
            text = "".join([piece async for piece in pieces(count)])
            choice = {"text": text, "index": 0, "finish_reason": "length"}
            return JSONResponse({"object": "text_completion", "choices": [choice], "usage": usage})

        async def events() -> AsyncIterator[str]:
            async for piece in pieces(count):
                yield chunk(piece, None)
            yield chunk("", "length")
            yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [Route("/v1/completions", completions, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-delay", type=float, default=0.0)
    args = parser.parse_args()
    uvicorn.run(build(args.token_delay), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
