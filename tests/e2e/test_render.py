"""`codefill render` prints exactly what the model is given."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import Server


def render(server: Server, prompt: str, model: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "codefill", "render", "--config", str(server.config)]
    return subprocess.run(
        [*command, "--model", model], input=prompt, capture_output=True, text=True, timeout=120
    )


def test_render_fills_every_variable(server: Server) -> None:
    prompt = "# Language: Python\n# Path: ~/code/sort.py\ndef quicksort( <SUF> ) <MID>"
    done = render(server, prompt, "templated")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<lang=Python|path=~/code/sort.py|pre=def quicksort(|suf=)>"


def test_render_infers_language_and_keeps_whitespace(server: Server) -> None:
    done = render(server, "# Path: web/app.ts\n  const x = <SUF>;\n<MID>", "templated")
    assert done.stdout == "<lang=TypeScript|path=web/app.ts|pre=  const x =|suf=;\n>"


def test_default_model_is_prefix_only(server: Server) -> None:
    done = render(server, "# Language: Python\ndef f( <SUF> ) <MID>", "default")
    assert done.returncode == 0 and done.stdout == "def f("


def test_render_reports_bad_prompts_and_models(server: Server) -> None:
    assert "more than once" in render(server, "a <SUF> b <SUF>", "default").stderr
    missing = render(server, "x", "nope")
    assert missing.returncode == 1 and "model 'nope' not found" in missing.stderr
