"""The seed API document's examples against the real server on the embedded model."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import ANSWER_FIELDS, Server


def curl(server: Server, *args: str) -> str:
    """Run curl exactly as the seed document does, with the server's address."""
    done = subprocess.run(["curl", "-s", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_simple_request_answers_one_object(server: Server) -> None:
    """The seed's curl sends no ``stream`` and shows one JSON object as the answer."""
    out = curl(server, f"{server.url}/api/generate", "-d", '{\n  "prompt": "def quicksort("\n}')
    assert out.endswith("}\n") and out.count("\n") == 1
    final = json.loads(out)
    assert set(final) == ANSWER_FIELDS and final["model"] == "default"
    assert final["done"] is True and final["done_reason"] in {"stop", "length"}
    assert final["input_tokens"] > 0 and final["output_tokens"] > 0
    assert isinstance(final["total_duration"], float) and final["response"].strip()


def test_seed_meta_request_non_streaming(server: Server) -> None:
    body = json.dumps(
        {
            "prompt": "# Language: Python\n# Path: ~/code/sort.py\ndef quicksort( <SUF> ) <MID>",
            "stream": False,
            "options": {"num_predict": 24, "temperature": 0},
        }
    )
    out = curl(server, f"{server.url}/api/generate", "-d", body)
    assert out.endswith("}\n") and out.count("\n") == 1
    answer = json.loads(out)
    assert set(answer) == ANSWER_FIELDS
    assert answer["done"] is True and isinstance(answer["total_duration"], float)
    assert isinstance(answer["response"], str) and answer["response"]
    assert answer["output_tokens"] <= 24


def test_stream_true_and_greedy_stream_equals_non_stream(server: Server) -> None:
    # without post-processing, so that no early stop makes the token counts timing-dependent
    request = {
        "prompt": "def add(a, b):",
        "postprocess": False,
        "options": {"num_predict": 32, "temperature": 0},
    }
    with server.client() as client:
        whole = client.post("/api/generate", json={**request, "stream": False}).json()
        streamed = client.post("/api/generate", json={**request, "stream": True})
    assert streamed.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert "".join(line["response"] for line in lines) == whole["response"]
    assert lines[-1]["output_tokens"] == whole["output_tokens"]


def test_stop_and_num_predict_options(server: Server) -> None:
    with server.client() as client:
        short = client.post(
            "/api/generate",
            json={"prompt": "def f():", "stream": False, "options": {"num_predict": 3}},
        ).json()
        stopped = client.post(
            "/api/generate",
            json={
                "prompt": "1, 2, 3, 4,",
                "stream": False,
                "options": {"temperature": 0, "stop": [","], "num_predict": 50},
            },
        ).json()
    assert short["done_reason"] == "length" and short["output_tokens"] == 3
    assert stopped["done_reason"] == "stop" and "," not in stopped["response"]


def test_seed_chat_curl_example_as_written(server: Server) -> None:
    body = (
        '{"model": "gpt-3.5-turbo","messages": [{"role": "system", "content": "You are a helpful '
        'assistant."}, {"role": "user", "content": "Write an article about the weather of '
        'Seattle"}], "stream": true, "max_tokens": 40}'
    )
    out = curl(server, "-X", "post", "-d", body, f"{server.url}/chat/completions")
    events = out.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-2]]
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text.strip()
    assert chunks[-1]["choices"][0]["finish_reason"] in {"stop", "length"}
