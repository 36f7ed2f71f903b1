"""The 1.5B coder's own end overrules a post-processing cut (``model_end_lines = 1``).

Task 104/8 of HumanEval's random-span set (MIT licensed, see tests/data): the cursor splits
``odd_digit_element|s`` and the span to fill runs into the next line, up to ``ret`` of
``return``. The single-line rule keeps only ``s.append(i)``, which leaves ``...append(i)urn``;
the 1.5B writes the whole span and ends it itself, and codefill trusts that end.
"""

from __future__ import annotations

import ollama

from tests.conftest import Server

LARGE = "qwen2.5-coder:1.5b"
PREFIX = (
    "\ndef unique_digits(x):\n"
    '    """Given a list of positive integers x. return a sorted list of all \n'
    "    elements that hasn't any even digit.\n\n"
    "    Note: Returned list should be sorted in increasing order.\n    \n"
    "    For example:\n"
    "    >>> unique_digits([15, 33, 1422, 1])\n    [1, 15, 33]\n"
    "    >>> unique_digits([152, 323, 1422, 10])\n    []\n"
    '    """\n'
    "    odd_digit_elements = []\n"
    "    for i in x:\n"
    "        if all (int(c) % 2 == 1 for c in str(i)):\n"
    "            odd_digit_element"
)
SUFFIX = "urn sorted(odd_digit_elements)\n"
PROMPT = f"# Language: Python\n{PREFIX} <SUF> {SUFFIX} <MID>"
GREEDY = {"temperature": 0, "num_predict": 64}


def works(middle: str) -> bool:
    scope: dict[str, object] = {}
    try:
        exec(PREFIX + middle + SUFFIX, scope)  # the test's own constant code
        found = scope["unique_digits"]([15, 33, 1422, 1])  # type: ignore[operator]
    except Exception:
        return False
    return bool(found == [1, 15, 33])


def test_the_model_s_own_end_keeps_a_middle_that_runs_past_the_cursor_s_line(
    server: Server,
) -> None:
    body = {"model": LARGE, "prompt": PROMPT, "options": GREEDY, "stream": False}
    with server.client() as http:  # post-processing off: a codefill field no client sends
        raw = http.post("/api/generate", json={**body, "postprocess": False}).json()
    assert raw["done_reason"] == "stop", "the model should end this middle itself"
    assert raw["response"].count("\n") == 1 and works(raw["response"]), raw
    client = ollama.Client(host=server.url)
    parts = list(client.generate(model=LARGE, prompt=PROMPT, options=GREEDY, stream=True))
    assert "".join(part.response or "" for part in parts) == raw["response"]
    assert parts[-1].done_reason == "stop"
    # a stop string of the request's own is not the model's end: the rules' cut stands
    stopped = client.generate(model=LARGE, prompt=PROMPT, options={**GREEDY, "stop": ["@@"]})
    cut = stopped.response or ""
    assert "\n" not in cut and not works(cut), cut
