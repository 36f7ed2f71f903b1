"""Starting completions on a fake engine: the live lookups, chat, refusals and draining."""

from __future__ import annotations

import asyncio

import pytest

from codefill.engine.base import FinishReason
from codefill.engine.fake import FakeEngine
from codefill.errors import Overloaded
from codefill.prompt.chat import ChatMessage
from codefill.service.completion import CompletionState
from codefill.service.models import ModelManager
from codefill.service.requests import (
    ChatRequest,
    Client,
    CompletionRequest,
    Dialect,
    SamplingFields,
)
from codefill.service.serving import Serving
from codefill.settings import ModelConfig, Settings

pytestmark = pytest.mark.anyio

EDITOR = Client("10.0.0.1", "editor", "tab-1")
PREFIX = "# Path: a.py\ndef add(a, b):\n    "
PROMPT = f"{PREFIX} <SUF> \n <MID>"  # one space at each marker belongs to the marker


def serving(reply: str = "return a + b", delay: float = 0.0, **settings: object) -> Serving:
    def loader(config: ModelConfig, _settings: Settings) -> FakeEngine:
        return FakeEngine(config.name, reply, piece=2, delay=delay)

    resolved = Settings.model_validate(settings)
    return Serving(ModelManager(resolved, loader=loader))


def request(prompt: str = PROMPT, **fields: object) -> CompletionRequest:
    sampling = SamplingFields(temperature=0.0, max_tokens=64)
    return CompletionRequest("default", prompt, sampling=sampling, client=EDITOR, **fields)  # type: ignore[arg-type]


async def test_a_completion_reads_the_engine_through_post_processing() -> None:
    service = serving("return a + b\n\nprint(add(1, 2))\n")
    completion = await service.start(request())
    text, final = await completion.collect()
    assert text == "return a + b"  # the rest leaves the function: cut
    assert final.finish is FinishReason.STOP and completion.state is CompletionState.FINISHED
    assert completion.id.startswith("cmpl-") and completion.language == "Python"
    assert completion.prompt_tokens == len(completion.prompt_ids) > 0


async def test_typing_into_an_answer_follows_it_without_a_new_job() -> None:
    service = serving()
    first = await service.start(request())
    await first.collect()
    engine = (await service.manager.get("default")).engine
    assert isinstance(engine, FakeEngine)
    jobs = len(engine.jobs)
    typed = await service.start(request(f"{PREFIX}ret <SUF> \n <MID>"))
    text, final = await typed.collect()
    assert text == "urn a + b" and typed.typeahead and len(engine.jobs) == jobs
    assert final.usage is not None and final.usage.prompt_seconds == 0  # no model work


async def test_a_newer_request_from_the_session_supersedes_the_older() -> None:
    service = serving(reply="x" * 400, delay=0.01)
    old = await service.start(request())
    reader = old.reader()
    new = await service.start(request(PROMPT.replace("add", "sub")))
    _, final = await old.collect()
    assert final.finish is FinishReason.CANCELLED and old.state is CompletionState.SUPERSEDED
    assert service.live.superseded == 1 and not new.done
    new.cancel()
    await reader.aclose()


async def test_a_keystroke_right_after_one_at_the_same_place_is_held() -> None:
    service = serving(reply="x" * 400, delay=0.01, typeahead=False)
    first = await service.start(request())
    second = await service.start(request(f"{PREFIX}r <SUF> \n <MID>"))
    elsewhere = await service.start(request(PROMPT.replace("<SUF> ", "<SUF> \nx = 1")))
    engine = (await service.manager.get("default")).engine
    assert isinstance(engine, FakeEngine)
    holds = [job.hold for job in engine.jobs]
    assert holds[0] == 0.0 and 0.0 < holds[1] <= 0.25 and holds[2] == 0.0
    assert second.hold_seconds == holds[1]
    for completion in (first, second, elsewhere):
        completion.cancel()


async def test_chat_goes_the_same_way_without_post_processing() -> None:
    service = serving("Hello!\n\n\nHello!\n\n\nHello!")
    messages = (ChatMessage("user", "hi"),)
    completion = await service.start(ChatRequest("default", messages, dialect=Dialect.OPENAI))
    text, final = await completion.collect()
    assert text == "Hello!\n\n\nHello!\n\n\nHello!" and final.finish is FinishReason.STOP
    engine = (await service.manager.get("default")).engine
    assert isinstance(engine, FakeEngine)
    job = engine.jobs[-1]
    assert job.messages == (("user", "hi"),) and job.sampling.temperature == 1.0


async def test_draining_refuses_new_work_and_ends_the_rest() -> None:
    service = serving(reply="x" * 400, delay=0.01)
    running = await service.start(request())
    reader = running.reader()
    service.drain(grace=0.05)
    with pytest.raises(Overloaded, match="shutting down"):
        await service.start(request())
    await asyncio.sleep(0.2)
    assert running.state is CompletionState.CANCELLED
    await reader.aclose()
