"""Which CPUs crash llama.cpp's repacked weights, and the choice of extra buffer types.

llama.cpp's CPU backend may move weights into "extra" buffer types: repacked layouts for
faster kernels and, on Intel CPUs with AMX, the AMX buffer type. On AMX machines (Sapphire
Rapids and later) ``ggml_backend_amx_mul_mat`` crashes the process with SIGSEGV in the first
decode (llama.cpp issue 20824, closed without a fix). Loading with ``use_extra_bufts = false``
(llama.cpp's ``--no-repack``) avoids the crashing path. This module decides, before the
first decode, which configuration a worker loads with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["BufferChoice", "ExtraBuffers", "amx_flags", "choose_extra_buffers"]

ExtraBuffers = Literal["auto", "on", "off"]

# The cpuinfo flags of Intel's Advanced Matrix Extensions; any one means the AMX kernels run.
_AMX = ("amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "amx_complex")


@dataclass(frozen=True)
class BufferChoice:
    """Whether a worker loads with llama.cpp's extra buffer types, and why."""

    enabled: bool
    reason: str

    def notes(self) -> dict[str, str | bool]:
        """The choice as ``EngineHealth.notes`` (``/api/show`` prefixes ``codefill.``)."""
        return {"extra_buffer_types": self.enabled, "extra_buffer_types_reason": self.reason}


def amx_flags(cpuinfo: str) -> list[str]:
    """The AMX flags on the first ``flags`` line of a ``/proc/cpuinfo`` text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            present = set(value.split())
            return [flag for flag in _AMX if flag in present]
    return []


def choose_extra_buffers(setting: ExtraBuffers, cpuinfo_path: str) -> BufferChoice:
    """The configuration a model's first worker starts with.

    ``on`` and ``off`` force the choice; ``auto`` turns extra buffer types off on CPUs with
    AMX and leaves them on elsewhere (a worker that still crashes before its first decode
    finishes is restarted with them off: see ``engine/process.py``).
    """
    if setting == "on":
        return BufferChoice(True, "forced on by the extra_buffer_types setting")
    if setting == "off":
        return BufferChoice(False, "forced off by the extra_buffer_types setting")
    try:
        cpuinfo = Path(cpuinfo_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return BufferChoice(True, f"{cpuinfo_path} is unreadable; llama.cpp's default")
    flags = amx_flags(cpuinfo)
    if flags:
        found = ", ".join(flags)
        return BufferChoice(False, f"the CPU has AMX ({found}), whose llama.cpp kernels crash")
    return BufferChoice(True, "llama.cpp's default: the CPU has no AMX")
