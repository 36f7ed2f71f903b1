"""The shipped default, on a server started with no configuration at all: a FIM coder.

The seed document's own FIM curl must fill the middle, which a chat model cannot do; SmolLM2
stays available by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import httpx
import ollama
import openai
import pytest

from tests.conftest import Server, start_server, stop_server

# The seed document's second example, as written.
SEED_FIM = "# Language: Python\n# Path: ~/code/sort.py\ndef quicksort( <SUF> ) <MID>"


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("unconfigured"), "")
    yield running
    stop_server(running)


def test_the_seed_fim_curl_fills_the_middle(unconfigured: Server) -> None:
    answer = httpx.post(unconfigured.url + "/api/generate", json={"prompt": SEED_FIM}, timeout=120)
    assert answer.status_code == 200
    body = answer.json()
    middle = body["response"]
    assert body["model"] == "default" and middle.strip()
    # what the editor shows between "def quicksort(" and ")" makes a valid signature
    ast.parse(f"def quicksort({middle}):\n    pass\n")
    assert ")" not in middle


def test_the_default_is_the_coder_and_the_others_answer_by_name(unconfigured: Server) -> None:
    client = ollama.Client(host=unconfigured.url)
    names = {model.model for model in client.list().models}
    assert {"default", "smollm2", "qwen2.5-coder-1.5b"} <= names
    shown = client.show("default")
    assert shown.details.family == "qwen2" and "insert" in (shown.capabilities or [])
    assert client.show("smollm2").details.family == "llama"
    assert client.show("qwen2.5-coder:0.5b").modelinfo == shown.modelinfo


def test_the_ollama_client_gets_a_middle_that_fits(unconfigured: Server) -> None:
    client = ollama.Client(host=unconfigured.url)
    answer = client.generate(
        model="default",
        prompt="def area(width, height):\n    ",
        suffix="\n\n\nprint(area(2, 3))\n",
        options={"temperature": 0, "num_predict": 24},
    )
    assert answer.response.startswith("return ") and "width" in answer.response
    assert "print(" not in answer.response


def test_smollm2_stays_for_chat(unconfigured: Server) -> None:
    client = openai.OpenAI(base_url=unconfigured.url, api_key="sk-none", timeout=120)
    answer = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=16,
        temperature=0,
    )
    assert answer.model == "smollm2" and answer.choices[0].message.content
