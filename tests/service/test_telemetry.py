"""Acceptance telemetry in the service: the store of completions, events, expiry, the text log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codefill.engine.fake import FakeEngine
from codefill.service.completion import Completion
from codefill.service.models import ModelManager
from codefill.service.requests import Client, CompletionRequest, Dialect, SamplingFields
from codefill.service.serving import Serving
from codefill.service.telemetry import (
    AcceptKind,
    Event,
    Labels,
    Telemetry,
    UnknownCompletion,
)
from codefill.service.telemetry_log import TextLog
from codefill.settings import ModelConfig, Settings

pytestmark = pytest.mark.anyio

REPLY = "total = 0\n    for n in xs:\n        total += n\n    return total"


class Recorder:
    """A sink that keeps what the store reports, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[Labels, Event, AcceptKind | None]] = []
        self.shares: list[float] = []

    def event(self, labels: Labels, event: Event, kind: AcceptKind | None) -> None:
        self.events.append((labels, event, kind))

    def settled(self, labels: Labels, share: float) -> None:
        self.shares.append(share)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def serving(telemetry: Telemetry, settings: Settings, reply: str = REPLY) -> Serving:
    def loader(config: ModelConfig, _settings: Settings) -> FakeEngine:
        return FakeEngine(config.name, reply)

    return Serving(ModelManager(settings, loader=loader), telemetry)


def request(language: str = "Python", path: str = "sums.py") -> CompletionRequest:
    return CompletionRequest(
        "default",
        dialect=Dialect.TABBY,
        sampling=SamplingFields(temperature=0.0, max_tokens=64),
        prefix="def total(xs):\n    ",
        suffix="\n",
        language=language,
        file_path=path,
        client=Client("10.0.0.1", "editor"),
    )


async def started(
    sink: Recorder | None = None, clock: Clock | None = None, **settings: object
) -> tuple[Serving, Telemetry]:
    resolved = Settings.model_validate(settings)
    telemetry = Telemetry(resolved, sink, clock or Clock())
    return serving(telemetry, resolved), telemetry


async def finished(service: Serving) -> Completion:
    completion = await service.start(request())
    await completion.collect()
    return completion


async def test_every_started_completion_is_remembered_with_its_labels() -> None:
    sink = Recorder()
    service, telemetry = await started(sink)
    completion = await service.start(request())
    await completion.collect()
    labels = telemetry.record(completion.id, Event.VIEW)
    assert labels == Labels("default", "Python", "tabby")
    assert completion.dialect is Dialect.TABBY
    assert sink.events == [(labels, Event.VIEW, None)]


async def test_an_accept_without_a_kind_is_whole_and_settles_once() -> None:
    sink = Recorder()
    service, telemetry = await started(sink)
    completion = await service.start(request())
    await completion.collect()
    telemetry.record(completion.id, Event.VIEW)
    telemetry.record(completion.id, Event.ACCEPT)
    telemetry.record(completion.id, Event.DISMISS)  # counted, but the outcome was decided
    assert [(e, k) for _, e, k in sink.events] == [
        (Event.VIEW, None),
        (Event.ACCEPT, AcceptKind.WHOLE),
        (Event.DISMISS, None),
    ]
    assert sink.shares == [1.0]


async def test_partial_accepts_settle_with_the_share_of_the_text_they_kept() -> None:
    sink = Recorder()
    service, telemetry = await started(sink)
    first, second, third = [await finished(service) for _ in range(3)]
    telemetry.record(first.id, Event.ACCEPT, AcceptKind.LINE)
    telemetry.record(second.id, Event.ACCEPT, AcceptKind.WORD)
    telemetry.record(third.id, Event.DISMISS)
    text = first.text
    assert text.startswith("total = 0\n")
    assert sink.shares == [len("total = 0\n") / len(text), len("total") / len(text), 0.0]


async def test_unknown_ids_are_refused() -> None:
    _, telemetry = await started(Recorder())
    with pytest.raises(UnknownCompletion) as refused:
        telemetry.record("cmpl-nobody", Event.VIEW)
    assert refused.value.status == 404 and "cmpl-nobody" in refused.value.message


async def test_records_expire_by_age_and_a_shown_one_settles_as_not_accepted() -> None:
    sink, clock = Recorder(), Clock()
    service, telemetry = await started(sink, clock, telemetry_ttl_seconds=60)
    shown = await service.start(request())
    await shown.collect()
    telemetry.record(shown.id, Event.VIEW)
    clock.now += 61
    with pytest.raises(UnknownCompletion):
        telemetry.record(shown.id, Event.ACCEPT)
    assert sink.shares == [0.0] and len(telemetry) == 0


async def test_the_store_keeps_only_the_newest_completions() -> None:
    service, telemetry = await started(Recorder(), telemetry_capacity=2)
    completions = [await finished(service) for _ in range(3)]
    assert len(telemetry) == 2
    with pytest.raises(UnknownCompletion):
        telemetry.record(completions[0].id, Event.VIEW)
    telemetry.record(completions[2].id, Event.VIEW)


@pytest.mark.parametrize(
    ("language", "path", "label"),
    [
        ("Python", "", "Python"),
        ("python", "", "Python"),
        ("", "sums.py", "Python"),
        ("klingon", "", "other"),  # clients name languages freely: labels stay few
        ("", "notes", "unknown"),
    ],
)
async def test_language_labels_are_bounded(language: str, path: str, label: str) -> None:
    service, telemetry = await started(Recorder())
    completion = await service.start(request(language, path))
    await completion.collect()
    assert telemetry.record(completion.id, Event.VIEW).language == label


async def test_no_text_is_kept_unless_a_file_is_named() -> None:
    _, telemetry = await started(Recorder())
    assert not telemetry.keeps_text


async def test_the_text_log_has_the_prompt_the_completion_and_the_events(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "telemetry.jsonl"
    service, telemetry = await started(Recorder(), telemetry_text_file=str(path))
    completion = await service.start(request())
    await completion.collect()
    telemetry.record(completion.id, Event.ACCEPT, AcceptKind.LINE)
    telemetry.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["completion", "event"]
    written, event = lines
    assert written["completion_id"] == completion.id and written["completion"] == completion.text
    assert written["prefix"] == "def total(xs):\n    " and written["file_path"] == "sums.py"
    assert written["dialect"] == "tabby" and "def total(xs)" in written["prompt"]
    assert event == {
        "ts": event["ts"],
        "type": "event",
        "completion_id": completion.id,
        "event": "accept",
        "kind": "line",
    }


def test_the_text_log_rotates_at_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    log = TextLog(path, max_bytes=4096)
    for index in range(40):
        log.write("event", {"n": index, "pad": "x" * 200})
    log.write("event", {"pad": "y" * 5000})  # bigger than the whole log: dropped
    log.close()
    rotated = path.with_name("t.jsonl.1")
    assert path.stat().st_size <= 4096 and rotated.stat().st_size <= 4096
    assert log.rotations >= 1 and log.dropped == 1
    numbers = [json.loads(line)["n"] for line in path.read_text().splitlines()]
    assert numbers[-1] == 39  # the newest lines are kept
