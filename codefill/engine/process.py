"""The local engine in its own process: a client for the worker, and its supervisor.

:class:`ProcessEngine` is the :class:`Engine` the service layer sees for a local model. It
tokenizes with the model's vocabulary (loaded without weights) and sends jobs to a worker
process (``engine/worker.py``) that holds the llama.cpp context. A native crash, an
out-of-memory kill or a wedged decode then costs only what was running on that model:

* jobs running in the worker when it dies end at once with :class:`EngineUnavailable` (503
  with ``Retry-After`` before the first byte, the dialect's error form inside a stream);
* jobs still waiting for a slot, with nothing sent yet, wait for the next worker;
* the worker is restarted with backoff; ``health()`` says ``restarting`` meanwhile and
  counts crashes and restarts by cause; a worker silent for ``worker_watchdog_seconds``
  is killed (cause ``watchdog``);
* a worker that dies before its first decode finished with llama.cpp's extra buffer types
  on (the AMX crash of ``engine/cpu.py``) is restarted with them off, when the setting is
  ``auto``, and ``health().notes`` says so.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from codefill.engine.base import (
    Delta,
    DeltaStream,
    Engine,
    EngineHealth,
    FinishReason,
    Job,
    ModelInfo,
    Usage,
    check_prompt,
)
from codefill.engine.cores import SLOTS, CoreShare
from codefill.engine.cpu import BufferChoice, choose_extra_buffers
from codefill.engine.gguf import Vocabulary, VocabularyFile
from codefill.engine.ipc import Load, Message, decode_delta
from codefill.engine.worker_handle import WorkerProcess
from codefill.errors import (
    CodefillError,
    EngineUnavailable,
    ModelLoadError,
    Overloaded,
)
from codefill.settings import Settings

__all__ = ["ProcessEngine", "WorkerSpec"]

log = logging.getLogger("codefill.engine")

_share_file: str | None = None
_slots_taken: set[int] = set()
_slots_lock = threading.Lock()
_STABLE_SECONDS = 60.0  # a worker that lived this long resets the restart backoff
_FIRST_DELAY = 0.5


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker of one model is started with, but for the buffer choice."""

    path: str
    name: str
    context_length: int | None
    threads: int
    share_path: str | None  # the file the server's workers share the cores through
    share_slot: int  # this model's place in it


@dataclass
class _Entry:
    job: Job
    stream: DeltaStream
    sent: bool = False  # handed to the current worker
    admitted: bool = False  # in one of its slots: dies with it


@dataclass
class _Start:
    """The outcome of starting one worker, filled in by its reader thread."""

    done: threading.Event = field(default_factory=threading.Event)
    info: ModelInfo | None = None
    failure: str | None = None  # the model cannot load (a clear message, no crash)
    crash: str | None = None  # the worker died first: its cause


class ProcessEngine(Engine):
    """A local model served by a supervised worker process."""

    can_heal = True  # the worker's scheduler constrains the first tokens (Job.retype)

    def __init__(self, spec: WorkerSpec, settings: Settings, vocabulary: VocabularyFile) -> None:
        self._spec = spec
        self._settings = settings
        self._vocabulary = vocabulary
        self.tokenizer: Vocabulary = vocabulary
        self._buffers = choose_extra_buffers(settings.extra_buffer_types, settings.cpuinfo_path)
        self._lock = threading.RLock()
        self._jobs: dict[str, _Entry] = {}
        self._state = "starting"
        self._worker: WorkerProcess | None = None
        self._start: _Start | None = None
        self._crashes: Counter[str] = Counter()
        self._restarts: Counter[str] = Counter()
        self._failures = 0  # crashes since the last stable worker: the backoff's exponent
        self._closed = threading.Event()

    @classmethod
    def load(
        cls, path: str, *, name: str, context_length: int | None, settings: Settings
    ) -> ProcessEngine:
        """Start the model's first worker and wait until it is ready (blocking)."""
        threads = settings.thread_count
        if settings.cpu_share == "split":
            threads = max(1, threads // settings.max_loaded_models)
        spec = WorkerSpec(path, name, context_length, threads, _share_path(), _take_slot())
        try:
            vocabulary = Vocabulary.open(path)
        except BaseException:
            _free_slot(spec.share_slot)
            raise
        engine = cls(spec, settings, vocabulary)
        try:
            engine._first_start()
        except BaseException:
            engine._release()
            raise
        return engine

    # --- the Engine interface -----------------------------------------------------------

    def generate(self, job: Job) -> DeltaStream:
        check_prompt(job, self.info.context_length)
        stream = DeltaStream(on_abandon=lambda: self.abort(job.id))
        with self._lock:
            if self._state == "closed":
                raise CodefillError("the model is being unloaded")
            if self.stats()["queued"] >= self._settings.max_queue:
                raise Overloaded("the request queue is full; retry shortly", retry_after=1)
            entry = _Entry(job, stream)
            self._jobs[job.id] = entry
            if self._state == "ready":
                self._send(entry)
        return stream

    def abort(self, job_id: str) -> None:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None:
                return
            if entry.sent and self._worker is not None:
                self._worker.send("abort", job_id)
            else:  # waiting for a new worker: nothing to tell anyone
                del self._jobs[job_id]
                entry.stream.put(Delta("", FinishReason.CANCELLED, Usage()))

    def stats(self) -> dict[str, int]:
        with self._lock:
            busy = sum(1 for entry in self._jobs.values() if entry.admitted)
            return {"queued": len(self._jobs) - busy, "busy_slots": busy}

    def health(self) -> EngineHealth:
        with self._lock:
            worker = self._worker
            return EngineHealth(
                state=self._state,
                pid=worker.pid if worker is not None and self._state == "ready" else None,
                crashes=dict(self._crashes),
                restarts=dict(self._restarts),
                notes=self._buffers.notes(),
            )

    def close(self) -> None:
        with self._lock:
            self._state = "closed"
            worker = self._worker
        self._closed.set()
        if worker is not None:
            worker.send("close")
            if not worker.wait(self._settings.shutdown_grace_seconds + 10):
                worker.kill("closed")
                worker.wait(5)
        with self._lock:
            left, self._jobs = list(self._jobs.values()), {}
        for entry in left:
            entry.stream.put(Delta("", FinishReason.CANCELLED, Usage()))
        self._release()

    def _release(self) -> None:
        """Give back what the model held in this process: its vocabulary and core slot."""
        self._vocabulary.close()
        CoreShare.release(self._spec.share_path, self._spec.share_slot)
        _free_slot(self._spec.share_slot)

    # --- starting workers ---------------------------------------------------------------

    def _first_start(self) -> None:
        """Start until ready; one crash with extra buffer types on retries without them."""
        while True:
            start = self._launch()
            assert start is not None  # nothing closes an engine before load() returns it
            start.done.wait()
            if start.info is not None:
                return
            if start.failure is not None:
                raise ModelLoadError(start.failure)
            assert start.crash is not None
            self._crashes[start.crash] += 1
            if not self._fall_back(start.crash):
                raise ModelLoadError(
                    f"model '{self._spec.name}': its worker crashed while loading ({start.crash})"
                )

    def _launch(self) -> _Start | None:
        """Start a worker (None once the engine is closed: nothing may start then)."""
        load = Load(
            path=self._spec.path,
            name=self._spec.name,
            context_length=self._spec.context_length,
            settings=self._settings.model_dump_json(warnings=False),
            threads=self._spec.threads,
            extra_buffers=self._buffers.enabled,
            share=self._settings.cpu_share,
            share_path=self._spec.share_path,
            share_slot=self._spec.share_slot,
            fault=self._settings.worker_fault,
        )
        start = _Start()
        with self._lock:
            if self._state == "closed":
                return None
            self._start = start
            worker = self._worker = WorkerProcess(
                load, self._on_message, self._on_exit, self._settings.worker_watchdog_seconds
            )
        log.info("model %s: worker %d started", self._spec.name, worker.pid)
        return start

    def _fall_back(self, cause: str) -> bool:
        """After a crash before the first decode finished: turn extra buffer types off, if
        they were on and the setting lets us; False when there is nothing to change."""
        if not self._buffers.enabled or self._settings.extra_buffer_types != "auto":
            return False
        self._buffers = BufferChoice(
            False, f"a worker crashed ({cause}) before its first decode finished with them on"
        )
        log.warning(
            "model %s: the worker crashed (%s) while loading with llama.cpp's extra buffer "
            "types on; starting again with them off (as llama.cpp's --no-repack)",
            self._spec.name,
            cause,
        )
        return True

    def _send(self, entry: _Entry) -> None:
        assert self._worker is not None
        entry.sent = True
        self._worker.send("submit", entry.job)

    # --- the reader threads -------------------------------------------------------------

    def _on_message(self, worker: WorkerProcess, message: Message) -> None:
        kind = message[0]
        if kind == "delta":
            job_id, delta = decode_delta(message)
            with self._lock:
                entry = self._jobs.get(job_id)
                if entry is not None and delta.finish is not None:
                    del self._jobs[job_id]
            if entry is not None:
                entry.stream.put(delta)
        elif kind == "admitted":
            with self._lock:
                entry = self._jobs.get(message[1])
                if entry is not None:
                    entry.admitted = True
        elif kind in ("ready", "failed"):
            with self._lock:
                start = self._start
                if start is None or worker is not self._worker:
                    return
                if kind == "ready":  # here, on the reader thread, so that it precedes an exit
                    start.info = self.info = message[1]
                    worker.ready_at = time.monotonic()
                    if self._state != "closed":
                        self._state = "ready"
                        for entry in self._jobs.values():
                            self._send(entry)
                else:
                    start.failure = message[1]
            start.done.set()

    def _on_exit(self, worker: WorkerProcess, cause: str) -> None:
        CoreShare.release(self._spec.share_path, self._spec.share_slot)  # if it died decoding
        with self._lock:
            if worker is not self._worker or self._state == "closed":
                return
            start = self._start
            if worker.ready_at is None:  # died while loading: whoever started it decides
                if start is not None and not start.done.is_set():
                    start.crash = cause
                    start.done.set()
                return
            self._crashes[cause] += 1
            lived = time.monotonic() - (worker.ready_at or worker.started)
            self._failures = 1 if lived >= _STABLE_SECONDS else self._failures + 1
            delay = self._delay()
            lost = [entry for entry in self._jobs.values() if entry.admitted]
            for entry in lost:
                del self._jobs[entry.job.id]
            for entry in self._jobs.values():
                entry.sent = False
            self._state = "restarting"
        running = ", ".join(entry.job.id for entry in lost) or "none"
        log.error(
            "model %s: worker %d died (%s); requests running: %s; %d waiting; restarting in %.1fs",
            self._spec.name,
            worker.pid,
            cause,
            running,
            len(self._jobs),
            delay,
        )
        error = EngineUnavailable(
            f"the worker of model '{self._spec.name}' died ({cause}) while running this "
            "request; it is restarting, retry shortly",
            retry_after=math.ceil(delay) + 1,
        )
        for entry in lost:
            entry.stream.put(Delta("", FinishReason.STOP, Usage(), error))
        threading.Thread(target=self._restart, args=(cause, delay), daemon=True).start()

    def _delay(self) -> float:
        ceiling = self._settings.worker_restart_max_seconds
        return min(ceiling, _FIRST_DELAY * 2.0 ** (self._failures - 1))

    def _restart(self, cause: str, delay: float) -> None:
        while not self._closed.wait(delay):
            start = self._launch()
            if start is None:
                return
            start.done.wait()
            if self._closed.is_set():  # close() stops the worker it finds
                return
            if start.info is not None:
                self._restarts[cause] += 1
                log.info("model %s: a new worker is ready", self._spec.name)
                return
            self._failures += 1
            delay = self._delay()
            if start.crash is not None:
                self._crashes[start.crash] += 1
                self._fall_back(start.crash)
                continue
            self._fail_waiting(start.failure or "the model failed to load")

    def _fail_waiting(self, message: str) -> None:
        with self._lock:
            self._state = "failed"
            waiting, self._jobs = list(self._jobs.values()), {}
        log.error("model %s: restart failed: %s", self._spec.name, message)
        for entry in waiting:
            entry.stream.put(Delta("", FinishReason.STOP, Usage(), ModelLoadError(message)))


def _share_path() -> str:
    """The file through which this server's workers share the cores (engine/cores.py)."""
    global _share_file
    if _share_file is None:
        handle, _share_file = tempfile.mkstemp(prefix="codefill-cores-")
        os.close(handle)
        atexit.register(os.unlink, _share_file)
    return _share_file


def _take_slot() -> int:
    with _slots_lock:
        slot = min(set(range(SLOTS)) - _slots_taken)  # more models than slots: ValueError
        _slots_taken.add(slot)
        return slot


def _free_slot(slot: int) -> None:
    with _slots_lock:
        _slots_taken.discard(slot)
