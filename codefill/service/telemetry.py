"""Acceptance telemetry: which completions were shown, accepted or dismissed, and by whom.

Every completion the service starts is remembered by its id with the model, language and
dialect that produced it, in a store bounded in size whose entries expire. Events about an
id (Tabby's ``/v1/events``, codefill's ``/api/events``) are counted against those labels
through a :class:`TelemetrySink` (the metrics). Each shown completion also settles once,
with the share of it that was kept (1 for a whole accept, the first line's or word's share
of the text for a partial one, 0 when dismissed or left to expire), for the acceptance
histogram. Recording is a dictionary lookup on the event loop, so events never slow
completions; the optional text log writes on its own thread.
"""

from __future__ import annotations

import collections
import enum
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from codefill.errors import NotFound
from codefill.prompt.languages import language_for_id
from codefill.service.completion import Completion
from codefill.service.telemetry_log import TextLog
from codefill.settings import Settings

__all__ = [
    "AcceptKind",
    "Event",
    "Labels",
    "Telemetry",
    "TelemetrySink",
    "UnknownCompletion",
]


class Event(enum.Enum):
    VIEW = "view"  # the editor showed the completion
    ACCEPT = "accept"  # the user took it, or part of it
    DISMISS = "dismiss"  # the user rejected it (typed on, pressed Escape)


class AcceptKind(enum.Enum):
    WHOLE = "whole"
    LINE = "line"
    WORD = "word"


class UnknownCompletion(NotFound):
    """An event names a completion this server does not know (never, or no longer)."""

    def __init__(self, completion_id: str) -> None:
        super().__init__(f"no completion '{completion_id}' (unknown, or expired)")


@dataclass(frozen=True)
class Labels:
    """What a completion is counted by; ``language`` is codefill's name, "other" for a
    language it does not know (clients name languages freely) and "unknown" for none."""

    model: str
    language: str
    dialect: str


class TelemetrySink(Protocol):
    """Where counts go (``codefill.acceptance.AcceptanceMetrics`` on a server)."""

    def event(self, labels: Labels, event: Event, kind: AcceptKind | None) -> None: ...

    def settled(self, labels: Labels, share: float) -> None: ...


class _NoSink:
    def event(self, labels: Labels, event: Event, kind: AcceptKind | None) -> None:
        pass

    def settled(self, labels: Labels, share: float) -> None:
        pass


@dataclass(slots=True)
class _Record:
    labels: Labels
    born: float
    shown: bool = False
    settled: bool = False
    text_chars: int = 0
    line_chars: int = 0
    word_chars: int = 0

    def share(self, kind: AcceptKind) -> float:
        """How much of the text an accept of ``kind`` kept (all of an empty text)."""
        if kind is AcceptKind.WHOLE or not self.text_chars:
            return 1.0
        part = self.line_chars if kind is AcceptKind.LINE else self.word_chars
        return min(part / self.text_chars, 1.0)


_FIRST_WORD = re.compile(r"\s*(?:\w+|[^\w\s]+)")
_FIRST_LINE = re.compile(r"\s*[^\n]*\n?")


class Telemetry:
    """The store of recent completions and what became of them; one per server."""

    def __init__(
        self,
        settings: Settings,
        sink: TelemetrySink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sink: TelemetrySink = _NoSink() if sink is None else sink
        self._clock = clock
        self._capacity = settings.telemetry_capacity
        self._ttl = settings.telemetry_ttl_seconds
        self._records: collections.OrderedDict[str, _Record] = collections.OrderedDict()
        self._log = TextLog.open(settings.telemetry_text_file, settings.telemetry_text_max_bytes)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def keeps_text(self) -> bool:
        return self._log is not None

    def track(self, completion: Completion, prompt: Callable[[], dict[str, Any]]) -> None:
        """Remember a started completion; ``prompt`` gives its prompt's fields for the text
        log, and is called only when the operator turned that log on."""
        language = completion.language
        labels = Labels(
            completion.model,
            language_for_id(language) or ("other" if language else "unknown"),
            completion.dialect.value,
        )
        record = _Record(labels, self._clock())
        self._records[completion.id] = record
        self._expire()
        fields = prompt() if self._log is not None else None
        completion.when_done(lambda done: self._finished(done, record, fields))

    def record(self, completion_id: str, event: Event, kind: AcceptKind | None = None) -> Labels:
        """Count an event about a completion; raises :class:`UnknownCompletion`."""
        self._expire()
        record = self._records.get(completion_id)
        if record is None:
            raise UnknownCompletion(completion_id)
        if event is Event.ACCEPT:
            kind = kind or AcceptKind.WHOLE
        self._sink.event(record.labels, event, kind)
        if event is Event.VIEW:
            record.shown = True
        elif not record.settled:
            record.settled = True
            share = record.share(kind) if kind is not None else 0.0
            self._sink.settled(record.labels, share)
        if self._log is not None:
            entry = {"completion_id": completion_id, "event": event.value}
            self._log.write("event", entry | ({"kind": kind.value} if kind else {}))
        return record.labels

    def close(self) -> None:
        """Write out the text log (at shutdown)."""
        if self._log is not None:
            self._log.close()

    def _finished(
        self, completion: Completion, record: _Record, prompt: dict[str, Any] | None
    ) -> None:
        text = completion.text
        record.text_chars = len(text)
        line = _FIRST_LINE.match(text)
        word = _FIRST_WORD.match(text)
        record.line_chars = line.end() if line else len(text)
        record.word_chars = word.end() if word else len(text)
        if self._log is not None and prompt is not None:
            labels = record.labels
            entry = {
                "completion_id": completion.id,
                "model": labels.model,
                "language": completion.language,
                "dialect": labels.dialect,
                "state": completion.state.value,
                **prompt,
                "completion": text,
            }
            self._log.write("completion", entry)

    def _expire(self) -> None:
        """Drop the oldest records past the capacity or the age limit; a shown completion
        nobody accepted or dismissed settles as not accepted."""
        oldest = self._clock() - self._ttl
        records = self._records
        while records:
            record = next(iter(records.values()))
            if len(records) <= self._capacity and record.born >= oldest:
                return
            records.popitem(last=False)
            if record.shown and not record.settled:
                self._sink.settled(record.labels, 0.0)
