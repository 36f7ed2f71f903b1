"""``POST /api/render`` on the real server gives what ``codefill render`` prints, and the
prompt size that ``/api/generate`` then reports for the same body."""

from __future__ import annotations

import pytest

from tests.conftest import Server
from tests.e2e.test_render import render


@pytest.mark.parametrize(
    ("model", "prompt"),
    [
        ("templated", "# Language: Python\n# Path: ~/code/sort.py\ndef quicksort( <SUF> ) <MID>"),
        ("templated", "# Path: web/app.ts\n  const x = <SUF>;\n<MID>"),
        ("default", "# Language: Python\ndef f( <SUF> ) <MID>"),
    ],
)
def test_render_route_matches_the_command(server: Server, model: str, prompt: str) -> None:
    with server.client() as client:
        answer = client.post("/api/render", json={"model": model, "prompt": prompt}).json()
    command = render(server, prompt, model)
    assert command.returncode == 0, command.stderr
    assert answer["prompt"] == command.stdout
    assert answer["model"] == model and answer["truncated_tokens"] == 0


def test_render_counts_tokens_and_truncation_as_generate_does(server: Server) -> None:
    body = {
        "model": "default",
        "prompt": "# Language: Python\n" + "x = 1\n" * 200,
        "options": {"num_ctx": 256, "num_predict": 8, "temperature": 0},
        "stream": False,
    }
    with server.client() as client:
        rendered = client.post("/api/render", json=body).json()
        generated = client.post("/api/generate", json=body).json()
    assert rendered["truncated_tokens"] > 0
    assert rendered["truncated_tokens"] == generated["timings"]["truncated_tokens"]
    assert rendered["prompt_tokens"] == generated["timings"]["prompt_tokens"]
    assert rendered["prompt"].endswith("x = 1\n")  # the prefix lost its start, not its end


BEFORE = "def factorial(n):\n    if n < 2:\n        return 1\n    ans = "
AFTER = "\n    return ans\n"


@pytest.mark.parametrize(
    ("prompt", "before", "after"),
    [
        # the seed's form: one space each side of a marker belongs to it
        (f"# Language: Python\n{BEFORE} <SUF> {AFTER} <MID>", BEFORE, AFTER),
        # CodeLlama's form, as cmp-ai sends it: nothing after <SUF> belongs to the marker
        (f"<PRE> {BEFORE} <SUF>{AFTER} <MID>", BEFORE, AFTER),
        ("<PRE> x = [ <SUF>    ]\n <MID>", "x = [", "    ]\n"),
    ],
    ids=["seed", "codellama", "codellama-indented-suffix"],
)
def test_each_prompt_form_reaches_the_coder_byte_for_byte(
    server: Server, prompt: str, before: str, after: str
) -> None:
    with server.client() as client:
        answer = client.post("/api/render", json={"model": "coder-copy", "prompt": prompt})
    assert answer.status_code == 200, answer.text
    expected = f"<|fim_prefix|>{before}<|fim_suffix|>{after}<|fim_middle|>"
    assert answer.json()["prompt"] == expected
    command = render(server, prompt, "coder-copy")
    assert command.returncode == 0, command.stderr
    assert command.stdout == expected
