"""The local engine in the server's own process: a llama.cpp model driven by the batching
scheduler in its own thread. ``engine/process.py`` runs the same in a worker process, the
default; this one (``worker_processes = false``) has no crash isolation."""

from __future__ import annotations

from codefill.engine.base import DeltaStream, Engine, EngineHealth, Job
from codefill.engine.cpu import choose_extra_buffers
from codefill.engine.llama_cpp import LlamaBackend
from codefill.engine.scheduler import Scheduler
from codefill.settings import Settings

__all__ = ["LocalEngine"]


class LocalEngine(Engine):
    can_heal = True  # the scheduler constrains the first tokens (Job.retype)

    def __init__(self, backend: LlamaBackend, settings: Settings) -> None:
        self._backend = backend
        self._buffers = choose_extra_buffers(settings.extra_buffer_types, settings.cpuinfo_path)
        self.info = backend.info
        self.tokenizer = backend
        self._scheduler = Scheduler(backend, settings)

    @classmethod
    def load(
        cls,
        path: str,
        *,
        name: str,
        context_length: int | None,
        settings: Settings,
    ) -> LocalEngine:
        """Load a GGUF file (blocking: call it from a worker thread)."""
        backend = LlamaBackend(
            path,
            name=name,
            seq_context=context_length,
            slots=settings.slots,
            n_seq=2 * settings.slots,
            n_threads=settings.thread_count,
            extra_buffers=choose_extra_buffers(
                settings.extra_buffer_types, settings.cpuinfo_path
            ).enabled,
        )
        return cls(backend, settings)

    def health(self) -> EngineHealth:
        return EngineHealth(notes=self._buffers.notes())

    def generate(self, job: Job) -> DeltaStream:
        stream = DeltaStream(on_abandon=lambda: self._scheduler.abort(job.id))
        self._scheduler.submit(job, stream.put)
        return stream

    def abort(self, job_id: str) -> None:
        self._scheduler.abort(job_id)

    def stats(self) -> dict[str, int]:
        return self._scheduler.stats()

    def close(self) -> None:
        self._scheduler.close()
        self._backend.close()
