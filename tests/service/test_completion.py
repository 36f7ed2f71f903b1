"""Completions: replay, follow, cancel, abort when abandoned, stop early, states."""

from __future__ import annotations

import asyncio

import pytest

from codefill.engine.base import Delta, DeltaStream, FinishReason, Usage
from codefill.postprocess import CompletionContext, PostProcessor
from codefill.service.completion import Completion, CompletionState, TextFilter

pytestmark = pytest.mark.anyio


class Script:
    """Feeds a DeltaStream by hand and records aborts."""

    def __init__(self) -> None:
        self.aborted = 0
        self.stream = DeltaStream(on_abandon=self.abort)

    def abort(self) -> None:
        self.aborted += 1
        self.stream.put(Delta("", FinishReason.CANCELLED, Usage(completion_tokens=9)))

    def send(self, text: str, finish: FinishReason | None = None) -> None:
        self.stream.put(Delta(text, finish, Usage(completion_tokens=3) if finish else None))


def start(script: Script, text_filter: TextFilter | None = None) -> Completion:
    return Completion("m", script.stream, script.abort, text_filter).start()


async def read_all(subscription: object) -> tuple[str, Delta]:
    text = ""
    async for delta in subscription:  # type: ignore[attr-defined]
        text += delta.text
        if delta.finish is not None:
            return text, delta
    raise AssertionError("no final delta")


async def test_reader_and_follower_see_the_same_text() -> None:
    script = Script()
    generation = start(script)
    first = generation.reader()
    script.send("hello ")
    await asyncio.sleep(0.01)
    follower = generation.reader(offset=3)
    script.send("world", FinishReason.STOP)
    (text_a, final_a), (text_b, final_b) = await asyncio.gather(read_all(first), read_all(follower))
    assert (text_a, text_b) == ("hello world", "lo world")
    assert final_a.finish is final_b.finish is FinishReason.STOP
    assert final_a.usage is not None and final_a.usage.completion_tokens == 3
    assert script.aborted == 0


async def test_cancel_ends_every_reader_at_once() -> None:
    script = Script()
    generation = start(script)
    reader = generation.reader()
    script.send("partial")
    await asyncio.sleep(0.01)
    generation.cancel()
    text, final = await read_all(reader)
    assert text == "partial" and final.finish is FinishReason.CANCELLED


async def test_the_last_reader_leaving_aborts_the_job() -> None:
    script = Script()
    generation = start(script)
    reader = generation.reader()
    script.send("a")
    await asyncio.sleep(0.01)
    await reader.aclose()
    await asyncio.sleep(0.01)
    assert script.aborted == 1 and generation.final is not None
    assert generation.final.finish is FinishReason.CANCELLED


async def test_post_processing_stops_the_job_early_and_keeps_usage() -> None:
    script = Script()
    context = CompletionContext(prefix="x = foo(", suffix=")\n", language="Python")
    generation = start(script, PostProcessor(context))
    reader = generation.reader()
    script.send("a, b")
    script.send("\nmore lines that single-line mode drops\n")
    text, final = await read_all(reader)
    assert text == "a, b"
    assert final.finish is FinishReason.STOP
    assert script.aborted == 1  # the model was stopped, not left running
    assert final.usage is not None and final.usage.completion_tokens == 9


async def test_engine_errors_reach_the_reader() -> None:
    from codefill.errors import EngineError

    script = Script()
    generation = start(script)
    reader = generation.reader()
    script.stream.put(Delta("", FinishReason.STOP, Usage(), error=EngineError("boom")))
    with pytest.raises(EngineError, match="boom"):
        await read_all(reader)


async def test_states_follow_the_completion() -> None:
    script = Script()
    completion = start(script)
    reader = completion.reader()
    assert completion.state is CompletionState.QUEUED
    script.send("a")
    await asyncio.sleep(0.01)
    assert completion.state is CompletionState.RUNNING and completion.first_token_at
    script.send("b", FinishReason.STOP)
    text, final = await read_all(reader)
    assert final.finish is FinishReason.STOP
    assert text == "ab" and completion.state is CompletionState.FINISHED


async def test_superseding_marks_the_state_and_aborts_the_job() -> None:
    script = Script()
    completion = start(script)
    reader = completion.reader()
    ended: list[Completion] = []
    completion.when_done(ended.append)
    completion.cancel(CompletionState.SUPERSEDED)
    text, final = await read_all(reader)
    assert final.finish is FinishReason.CANCELLED and text == ""
    assert completion.state is CompletionState.SUPERSEDED
    assert ended == [completion] and script.aborted >= 1


async def test_a_follower_reads_another_completion() -> None:
    script = Script()
    earlier = start(script)
    own = earlier.reader()
    script.send("return a")
    await asyncio.sleep(0.01)
    source = earlier.reader(offset=3)
    follower = Completion("m", source, source.close, typeahead=True).start()
    script.send(" + b", FinishReason.STOP)
    (text, _), (followed, final) = await asyncio.gather(read_all(own), read_all(follower.reader()))
    assert (text, followed) == ("return a + b", "urn a + b")
    assert final.finish is FinishReason.STOP and follower.state is CompletionState.FINISHED


async def test_cancelling_before_the_pump_runs_still_aborts() -> None:
    script = Script()
    completion = start(script)
    completion.cancel()
    assert script.aborted >= 1 and completion.state is CompletionState.CANCELLED
