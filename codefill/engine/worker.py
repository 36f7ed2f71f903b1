"""A model's worker process: the llama.cpp context and its scheduler, away from the server.

Started by ``engine/process.py`` as ``python -m codefill.engine.worker READ_FD WRITE_FD``. It
loads the model, decodes a few tokens on the scheduler's thread (so a kernel that crashes on
this CPU crashes now, while loading, rather than under a user's request), says ``ready``,
and then runs jobs until told to close. A heartbeat thread writes every
``worker_heartbeat_seconds``: a worker that is stopped or wedged falls silent and the
server's watchdog kills it. When the server goes away
(its end of the pipe closes) the worker exits at once.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection

from codefill.engine.base import Delta, FinishReason, Job, SamplingParams, Usage
from codefill.engine.cores import CoreShare
from codefill.engine.ipc import Channel, Load, encode_delta
from codefill.engine.llama_cpp import LlamaBackend
from codefill.engine.scheduler import Scheduler
from codefill.errors import CodefillError
from codefill.settings import Settings

__all__ = ["main"]

log = logging.getLogger("codefill.worker")

# Test hooks (``Settings.worker_fault``), standing in for native faults no test can summon:
# a crash in the first decode while extra buffer types are on, as on CPUs with AMX.
FAULT_SEGV_WITH_EXTRA_BUFFERS = "segv-first-decode-with-extra-buffers"
_WARM_UP_TOKENS = 16


def main(argv: list[str]) -> None:
    commands = Channel(Connection(int(argv[1]), writable=False))
    events = Channel(Connection(int(argv[2]), readable=False))
    try:
        kind, load = commands.recv()
    except EOFError:
        return
    assert kind == "load" and isinstance(load, Load)
    settings = Settings.model_validate_json(load.settings)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=f"%(asctime)s %(levelname)s codefill.worker[{load.name}] %(message)s",
    )
    running: list[Scheduler] = []
    _beat(events, settings, running)
    try:
        backend = _load(load, settings)
    except CodefillError as error:
        events.send("failed", error.message)
        return
    except Exception as error:  # llama.cpp or the file system, at the edge
        events.send("failed", f"model '{load.name}' failed to load: {error}")
        return
    scheduler = Scheduler(
        backend, settings, on_admit=lambda job_id: events.send("admitted", job_id)
    )
    running.append(scheduler)
    _warm_up(scheduler, backend)
    events.send("ready", backend.info)
    _serve(commands, events, scheduler, settings.worker_flush_seconds)
    backend.close()
    events.send("closed")


def _load(load: Load, settings: Settings) -> LlamaBackend:
    backend = LlamaBackend(
        load.path,
        name=load.name,
        seq_context=load.context_length,
        slots=settings.slots,
        n_seq=2 * settings.slots,
        n_threads=load.threads,
        extra_buffers=load.extra_buffers,
        share=CoreShare(load.share, load.share_path, load.share_slot, load.threads),
    )
    if load.fault == FAULT_SEGV_WITH_EXTRA_BUFFERS and load.extra_buffers:
        os.kill(os.getpid(), signal.SIGSEGV)
    return backend


def _warm_up(scheduler: Scheduler, backend: LlamaBackend) -> None:
    """Decode a few tokens through the scheduler, on its thread: llama.cpp's CPU threads
    (an OpenMP team) belong to the thread that first decodes, and a second team left by a
    decode on another thread slows every later decode by about a tenth."""
    first = backend.bos if backend.bos is not None else 0
    tokens = (first,) * min(_WARM_UP_TOKENS, backend.seq_context - 1)
    done = threading.Event()

    def sink(delta: Delta) -> None:
        if delta.finish is not None:
            done.set()

    scheduler.submit(Job(tokens, SamplingParams(max_tokens=1, temperature=0), id="warm-up"), sink)
    done.wait()


def _serve(commands: Channel, events: Channel, scheduler: Scheduler, interval: float) -> None:
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):  # the server is gone: nobody to answer
            os._exit(0)
        kind = message[0]
        if kind == "submit":
            _submit(scheduler, events, message[1], interval)
        elif kind == "abort":
            scheduler.abort(message[1])
        elif kind == "close":
            scheduler.close()
            return


def _submit(scheduler: Scheduler, events: Channel, job: Job, interval: float) -> None:
    """Queue the job; its first text goes to the server at once, later text at most every
    ``interval`` seconds (each message wakes two of the server's threads, which on a small
    machine take the cores from the decoding threads), the end at once."""
    pending: list[str] = []
    last_sent: list[float] = []

    def sink(delta: Delta) -> None:
        now = time.monotonic()
        if delta.finish is None and last_sent and now - last_sent[0] < interval:
            pending.append(delta.text)
            return
        if pending:
            delta = dataclasses.replace(delta, text="".join(pending) + delta.text)
            pending.clear()
        last_sent[:] = [now]
        events.send(*encode_delta(job.id, delta))

    try:
        scheduler.submit(job, sink)
    except CodefillError as error:
        events.send(*encode_delta(job.id, Delta("", FinishReason.STOP, Usage(), error)))


def _beat(events: Channel, settings: Settings, running: list[Scheduler]) -> None:
    """Beat while the process runs and its scheduler is not stuck in one step (a decode
    that never returns): silence is what the server's watchdog acts on."""
    stuck_after = settings.worker_watchdog_seconds / 2

    def run() -> None:
        stop = threading.Event()
        while not stop.wait(settings.worker_heartbeat_seconds):
            since = running[0].stepping_since if running else None
            if since is not None and time.monotonic() - since > stuck_after:
                continue
            try:
                events.send("beat")
            except OSError:
                return

    threading.Thread(target=run, name="codefill-heartbeat", daemon=True).start()


if __name__ == "__main__":
    main(sys.argv)
