"""Fill-in-the-middle on the real Qwen2.5-Coder model, through every way clients ask for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from tests.conftest import Server

CODER = "qwen2.5-coder"
LARGE = "qwen2.5-coder:1.5b"  # the optional 1.5B profile, `codefill[coder-1.5b]`
PREFIX = "def add(a, b):\n    "
SUFFIX = "\n    return c\n"
SAMPLE = Path(__file__).parents[1] / "data" / "single-line-sample.jsonl"
GREEDY = {"temperature": 0, "num_predict": 48}


def middle_is_sane(middle: str) -> None:
    assert middle.strip(), "empty completion"
    assert "return c" not in middle, f"the completion repeats the suffix: {middle!r}"


@pytest.mark.parametrize("model", [CODER, LARGE])
def test_seed_markers(server: Server, model: str) -> None:
    prompt = f"# Language: Python\n{PREFIX} <SUF> {SUFFIX} <MID>"
    with server.client() as client:
        answer = client.post(
            "/api/generate",
            json={"model": model, "prompt": prompt, "stream": False, "options": GREEDY},
        ).json()
    middle_is_sane(answer["response"])


def test_ollama_suffix_field(server: Server) -> None:
    with server.client() as client:
        answer = client.post(
            "/api/generate",
            json={
                "model": CODER,
                "prompt": PREFIX,
                "suffix": SUFFIX,
                "stream": False,
                "options": GREEDY,
            },
        ).json()
    middle_is_sane(answer["response"])


def test_twinny_style_templated_prompt(server: Server) -> None:
    """Twinny templates the FIM prompt itself and sends it without raw or suffix."""
    prompt = f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>"
    with server.client() as client:
        streamed = client.post(
            "/api/generate",
            json={"model": CODER, "prompt": prompt, "stream": True, "options": GREEDY},
        )
        raw = client.post(
            "/api/generate",
            json={
                "model": CODER,
                "prompt": prompt,
                "raw": True,
                "stream": False,
                "options": GREEDY,
            },
        ).json()
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    middle_is_sane("".join(line["response"] for line in lines))
    middle_is_sane(raw["response"])
    # the client's markers are FIM tokens, not text: the prompt is a handful of tokens
    assert raw["input_tokens"] < 20


def test_openai_completions_with_suffix(server: Server) -> None:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="x")
    whole = client.completions.create(
        model=CODER, prompt=PREFIX, suffix=SUFFIX, max_tokens=48, temperature=0
    )
    assert whole.object == "text_completion"
    middle_is_sane(whole.choices[0].text)
    assert whole.choices[0].finish_reason in {"stop", "length"}
    chunks = list(
        client.completions.create(
            model=CODER, prompt=PREFIX, suffix=SUFFIX, max_tokens=48, temperature=0, stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])
    assert "".join(chunk.choices[0].text for chunk in chunks) == whole.choices[0].text


@pytest.mark.parametrize("model", [CODER, LARGE])
def test_llama_vim_infill(server: Server, model: str) -> None:
    """llama.vim's /infill body: prefix and suffix as fields, other files in input_extra."""
    body = {
        "model": model,
        "input_prefix": PREFIX,
        "input_suffix": SUFFIX,
        "input_extra": [{"filename": "util.py", "text": "def sub(a, b):\n    return a - b\n"}],
        "prompt": "",
        "n_predict": 48,
        "temperature": 0,
        "stream": False,
        "cache_prompt": True,
        "samplers": ["top_k", "top_p", "infill"],
        "response_fields": ["content", "tokens_cached", "timings/prompt_n", "truncated"],
    }
    with server.client() as client:
        warm = client.post("/infill", json={**body, "n_predict": 0, "response_fields": None})
        answer = client.post("/infill", json=body)
        streamed = client.post("/infill", json={**body, "stream": True})
    assert warm.status_code == 200 and warm.json()["content"] == ""
    assert answer.status_code == 200
    assert '"content":"' in answer.text  # llama.vim's pattern: no space after the colon
    fields = answer.json()
    assert set(fields) == {"content", "tokens_cached", "timings/prompt_n", "truncated"}
    middle_is_sane(fields["content"])
    assert fields["tokens_cached"] > 0  # the warm-up filled the cache
    events = [json.loads(e.removeprefix("data: ")) for e in streamed.text.split("\n\n") if e]
    assert events[-1]["stop"] is True and all(e["stop"] is False for e in events[:-1])
    assert "".join(e.get("content", "") for e in events) == fields["content"]


def load_tasks(count: int) -> list[dict[str, str]]:
    tasks = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    step = len(tasks) // count
    return tasks[::step][:count]  # a fixed, spread-out selection


def passes(task: dict[str, str], middle: str, workdir: Path) -> bool:
    program = (
        task["prompt"]
        + middle
        + task["suffix"]
        + "\n"
        + task["test"]
        + f"\ncheck({task['entry_point']})\n"
    )
    path = workdir / "task.py"
    path.write_text(program)
    try:
        done = subprocess.run([sys.executable, str(path)], capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize(("model", "least"), [(CODER, 8), (LARGE, 12)])
def test_twenty_single_line_tasks(server: Server, tmp_path: Path, model: str, least: int) -> None:
    passed = 0
    with server.client() as client:
        for task in load_tasks(20):
            prompt = f"# Language: Python\n{task['prompt']} <SUF> {task['suffix']} <MID>"
            answer = client.post(
                "/api/generate",
                json={
                    "model": model,
                    "prompt": prompt,
                    "stream": False,
                    "options": {"temperature": 0, "num_predict": 64},
                },
            ).json()
            passed += passes(task, answer["response"], tmp_path)
    print(f"single-line infilling, {model}: {passed}/20 passed")
    assert passed >= least
