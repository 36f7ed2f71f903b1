"""The choice of llama.cpp's extra buffer types from the CPU's flags (simulated cpuinfo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codefill.engine.cpu import amx_flags, choose_extra_buffers

SAPPHIRE_RAPIDS = (
    "processor\t: 0\nvendor_id\t: GenuineIntel\n"
    "model name\t: Intel(R) Xeon(R) Platinum 8481C\n"
    "flags\t\t: fpu vme avx2 avx512f amx_bf16 avx512_fp16 amx_tile amx_int8\n"
    "\nprocessor\t: 1\nflags\t\t: fpu vme avx2 avx512f amx_bf16 avx512_fp16 amx_tile amx_int8\n"
)
EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma avx512f\n"


def test_amx_flags_are_read_from_the_flags_line() -> None:
    assert amx_flags(SAPPHIRE_RAPIDS) == ["amx_tile", "amx_int8", "amx_bf16"]
    assert amx_flags(EPYC) == []
    assert amx_flags("no flags here") == []
    assert amx_flags("flags : xamx_tile amx_tilex") == []  # whole words only


def test_auto_turns_extra_buffers_off_on_amx(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(SAPPHIRE_RAPIDS)
    choice = choose_extra_buffers("auto", str(cpuinfo))
    assert choice.enabled is False and "AMX (amx_tile, amx_int8, amx_bf16)" in choice.reason
    cpuinfo.write_text(EPYC)
    assert choose_extra_buffers("auto", str(cpuinfo)).enabled is True


@pytest.mark.parametrize(("setting", "enabled"), [("on", True), ("off", False)])
def test_a_setting_forces_either_choice(tmp_path: Path, setting: str, enabled: bool) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(SAPPHIRE_RAPIDS if enabled else EPYC)
    choice = choose_extra_buffers(setting, str(cpuinfo))  # type: ignore[arg-type]
    assert choice.enabled is enabled and "forced" in choice.reason


def test_an_unreadable_cpuinfo_keeps_llama_cpps_default(tmp_path: Path) -> None:
    choice = choose_extra_buffers("auto", str(tmp_path / "missing"))
    assert choice.enabled is True and "unreadable" in choice.reason
