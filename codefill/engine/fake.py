"""A scripted engine for fast HTTP-layer tests; it never loads a model.

The evidence that a feature works uses the real model; this fake only checks that the
layers above the engine frame, stream and refuse correctly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from codefill.engine.base import (
    Delta,
    DeltaStream,
    Engine,
    FinishReason,
    Job,
    ModelInfo,
    Usage,
)

__all__ = ["FakeEngine", "FakeTokenizer"]

_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}<|im_start|>assistant\n"
)


class FakeTokenizer:
    """One token per character; a few control tokens exist when ``special`` is on."""

    SPECIAL = ("<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")

    def __init__(self, specials: Sequence[str] = SPECIAL) -> None:
        self._specials = {text: 1_000_000 + i for i, text in enumerate(specials)}
        self._texts = {v: k for k, v in self._specials.items()}

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        tokens: list[int] = []
        index = 0
        while index < len(text):
            match = special and next((s for s in self._specials if text.startswith(s, index)), None)
            if match:
                tokens.append(self._specials[match])
                index += len(match)
            else:
                tokens.append(ord(text[index]))
                index += 1
        return tokens

    def detokenize(self, tokens: Sequence[int]) -> str:
        return "".join(self._texts.get(t, chr(t) if t < 0x110000 else "") for t in tokens)

    def piece(self, token: int) -> bytes:
        return b"" if token in self._texts else chr(token).encode("utf-8", "surrogatepass")

    def special_token(self, text: str) -> int | None:
        return self._specials.get(text)

    @property
    def bos(self) -> int | None:
        return None


class FakeEngine(Engine):
    """Answers every job with ``reply``, a few characters per delta."""

    def __init__(
        self,
        name: str = "fake",
        reply: str = "hello from the fake engine",
        *,
        context_length: int = 4096,
        piece: int = 4,
        delay: float = 0.0,
        specials: Sequence[str] = FakeTokenizer.SPECIAL,
    ) -> None:
        self.info = ModelInfo(
            name=name, path="<fake>", context_length=context_length, chat_template=_CHATML
        )
        self.tokenizer = FakeTokenizer(specials)
        self.reply = reply
        self.piece = piece
        self.delay = delay
        self.jobs: list[Job] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def generate(self, job: Job) -> DeltaStream:
        self.jobs.append(job)
        stream = DeltaStream(on_abandon=lambda: self.abort(job.id))
        self._tasks[job.id] = asyncio.get_running_loop().create_task(self._run(job, stream))
        return stream

    async def _run(self, job: Job, stream: DeltaStream) -> None:
        text = self.reply[: job.sampling.max_tokens * self.piece]
        count = 0
        try:
            for start in range(0, len(text), self.piece):
                await asyncio.sleep(self.delay)
                stream.put(Delta(text[start : start + self.piece]))
                count += 1
            finish = FinishReason.LENGTH if len(text) < len(self.reply) else FinishReason.STOP
        except asyncio.CancelledError:
            finish = FinishReason.CANCELLED
        usage = Usage(prompt_tokens=len(job.tokens), completion_tokens=count)
        stream.put(Delta("", finish, usage))
        self._tasks.pop(job.id, None)

    def stats(self) -> dict[str, int]:
        return {"queued": 0, "busy_slots": len(self._tasks)}

    def abort(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
