from __future__ import annotations

import asyncio

import pytest

from codefill.engine.base import Delta, DeltaStream, FinishReason, Usage
from codefill.service.completion import Completion
from codefill.service.live import CompletionKey, LiveCompletions, session_key
from codefill.service.requests import Client

KEY = CompletionKey("m", "{code_prefix}", "Python", "a.py", "\n", (), 64, True)

pytestmark = pytest.mark.anyio


def live_completion(stream: DeltaStream) -> Completion:
    return Completion("m", stream).start()


async def finished(text: str) -> Completion:
    stream = DeltaStream(on_abandon=lambda: None)
    generation = live_completion(stream)
    stream.put(Delta(text, FinishReason.STOP, Usage()))
    reader = generation.reader()
    async for delta in reader:
        if delta.finish:
            break
    return generation


async def test_typed_text_that_starts_the_completion_is_found() -> None:
    cache = LiveCompletions()
    generation = await finished("return a + b")
    cache.remember(KEY, "def f(a, b):\n    ", generation)
    assert cache.typed_into(KEY, "def f(a, b):\n    ret") == (generation, 3)
    assert cache.typed_into(KEY, "def f(a, b):\n    rex") is None  # typed something else
    assert cache.typed_into(KEY, "def f(a, b):\n    ") is None  # same prefix: not typing ahead
    assert cache.typed_into(KEY, "def f(a, b):\n    return a + b") is None  # nothing left
    other = CompletionKey("m", "{code_prefix}", "Python", "a.py", "changed", (), 64, True)
    assert cache.typed_into(other, "def f(a, b):\n    ret") is None


async def test_live_generation_can_be_followed_and_cancelled_ones_are_skipped() -> None:
    cache = LiveCompletions()
    stream = DeltaStream(on_abandon=lambda: None)
    live = live_completion(stream)
    reader = live.reader()
    stream.put(Delta("abc"))
    await asyncio.sleep(0.01)
    cache.remember(KEY, "p", live)
    assert cache.typed_into(KEY, "pab") == (live, 2)
    assert cache.typed_into(KEY, "pabcd") is None  # typed past what exists so far
    live.cancel()
    assert cache.typed_into(KEY, "pab") is None
    await reader.aclose()


async def test_capacity_bounds_the_cache() -> None:
    cache = LiveCompletions(typeahead_capacity=2)
    generations = [await finished(f"text{i}") for i in range(3)]
    for index, generation in enumerate(generations):
        cache.remember(KEY, f"p{index}", generation)
    assert cache.typed_into(KEY, "p0t") is None
    assert cache.typed_into(KEY, "p2t") == (generations[2], 1)


def test_session_keys() -> None:
    client = Client("10.0.0.1", "vscode", None)
    assert session_key(client, "m", "") is None
    assert session_key(client, "m", "a.py") != session_key(client, "m", "b.py")
    assert session_key(client, "m", "a.py") != session_key(
        Client("10.0.0.2", "vscode"), "m", "a.py"
    )
    tagged = Client("10.0.0.1", "vscode", "editor-7")
    assert session_key(tagged, "m", "") == session_key(tagged, "other", "x.py")


async def test_supersession_cancels_the_previous_generation() -> None:
    supersession = LiveCompletions()
    stream = DeltaStream(on_abandon=lambda: None)
    old = live_completion(stream)
    reader = old.reader()
    supersession.claim("k", old)
    supersession.supersede("k")
    assert old.final is not None and old.final.finish is FinishReason.CANCELLED
    assert supersession.superseded == 1 and supersession.of_session("k") is None
    await reader.aclose()
