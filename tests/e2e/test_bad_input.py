"""Fifty-odd malformed requests across every route, with good requests running alongside.

Every malformed request must get a 4xx in its route's dialect; the server must stay healthy
and every well-formed request sent at the same time must succeed.
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

import httpx

from tests.conftest import Server

MESSAGE = {"role": "user", "content": "hi"}
TOOL = {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}
BIG = "x" * 3_000_000  # over any reasonable prompt, under the 8 MiB body limit

# (method, path, body bytes or JSON, expected status)
BAD: list[tuple[str, str, Any, int]] = [
    # broken JSON and bodies that are not objects
    ("POST", "/api/generate", b"", 400),
    ("POST", "/api/generate", b"{", 400),
    ("POST", "/api/generate", b'{"prompt": "x",}', 400),
    ("POST", "/api/generate", b"null", 400),
    ("POST", "/api/generate", b'"a string"', 400),
    ("POST", "/api/chat", b"[]", 400),
    ("POST", "/v1/chat/completions", b"{'single': 'quotes'}", 400),
    ("POST", "/v1/completions", b'{"prompt": NaN}', 400),
    ("POST", "/api/show", b"{]", 400),
    # invalid UTF-8
    ("POST", "/api/generate", b'{"prompt": "\xff\xfe"}', 400),
    ("POST", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\xc3"}]}', 400),
    # wrong types
    ("POST", "/api/generate", {"prompt": 42}, 400),
    ("POST", "/api/generate", {"prompt": "x", "raw": "yes"}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": "hot"}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": {"stop": [1, 2]}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "model": ["default"]}, 400),
    ("POST", "/api/chat", {"messages": [{"role": "user", "content": 5}]}, 400),
    ("POST", "/api/chat", {"messages": "hello"}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "stream": "true"}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "temperature": "warm"}, 400),
    ("POST", "/v1/completions", {"prompt": {"text": "x"}}, 400),
    ("POST", "/api/show", {"model": 7}, 400),
    # missing fields, with unknown ones in their place
    ("POST", "/api/generate", {"promt": "typo"}, 400),
    ("POST", "/v1/chat/completions", {"message": [MESSAGE]}, 400),
    ("POST", "/v1/completions", {"prompts": "x"}, 400),
    ("POST", "/api/show", {"modle": "default"}, 400),
    ("POST", "/v1/chat/completions", {"messages": [{"content": "no role"}]}, 400),
    # empty and huge values
    ("POST", "/v1/chat/completions", {"messages": []}, 400),
    ("POST", "/v1/completions", {"prompt": []}, 400),
    ("POST", "/api/generate", {"prompt": BIG, "raw": True}, 400),
    ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": BIG}]}, 400),
    ("POST", "/api/generate", {"prompt": "x" * 10_000_000}, 413),
    # negative and absurd numbers
    ("POST", "/api/generate", {"prompt": "x", "options": {"num_predict": -5}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": {"num_predict": 10**9}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": {"temperature": -1}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": {"top_k": 10**12}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "options": {"num_ctx": 0}}, 400),
    ("POST", "/api/generate", {"prompt": "x", "keep_alive": "-forever"}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "max_tokens": 0}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "top_p": 1.5}, 400),
    ("POST", "/v1/completions", {"prompt": "x", "max_tokens": -1}, 400),
    ("POST", "/v1/completions", {"prompt": "x", "n": 3}, 400),
    ("POST", "/v1/completions", {"prompt": "x", "t_max_predict_ms": 0}, 400),
    # markers in odd places
    ("POST", "/api/generate", {"prompt": "a <MID> b <SUF> c"}, 400),
    ("POST", "/api/generate", {"prompt": "a <SUF> b <SUF> c <MID>"}, 400),
    ("POST", "/api/generate", {"prompt": "a <SUF> b <MID> trailing code"}, 400),
    ("POST", "/api/generate", {"prompt": "a <SUF> b", "suffix": "c"}, 400),
    ("POST", "/v1/completions", {"prompt": "<MID><MID>"}, 400),
    # llama.cpp's /infill
    ("POST", "/infill", b"{", 400),
    ("POST", "/infill", {"input_prefix": ["x"]}, 400),
    ("POST", "/infill", {"input_extra": "context"}, 400),
    ("POST", "/infill", {"input_prefix": "x", "n_predict": 10**9}, 400),
    ("POST", "/infill", {"input_prefix": "x", "model": "no-such-model"}, 404),
    ("GET", "/infill", None, 405),
    # unsupported combinations, models, routes and methods
    ("POST", "/api/generate", {"prompt": "x", "raw": True, "system": "be nice"}, 400),
    ("POST", "/api/generate", {"prompt": "x", "template": "{{ range .Messages }}"}, 400),
    ("POST", "/api/generate", {"prompt": "x", "model": "no-such-model"}, 404),
    # capabilities the default model (SmolLM2) lacks, refused as Ollama refuses them
    ("POST", "/api/chat", {"messages": [MESSAGE], "tools": [TOOL], "stream": False}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "tools": [TOOL]}, 400),
    ("POST", "/v1/chat/completions", {"messages": [MESSAGE], "tools": "all of them"}, 400),
    ("POST", "/api/generate", {"prompt": "x", "suffix": "y", "stream": False}, 400),
    ("POST", "/v1/completions", {"prompt": "x", "suffix": "y"}, 400),
    ("POST", "/api/chat", {"model": "no-such-model", "messages": [MESSAGE]}, 404),
    ("POST", "/api/show", {"model": "no-such-model"}, 404),
    ("POST", "/v1/completions", {"prompt": "x", "model": "no-such-model"}, 404),
    ("POST", "/api/pull", {"model": "x"}, 400),  # no repository and quant: asks nobody
    ("POST", "/api/pull", {"model": 7}, 400),
    ("DELETE", "/api/delete", {"model": "no-such-model"}, 404),
    ("DELETE", "/api/delete", {"model": "default"}, 400),  # built in: not deletable
    ("GET", "/api/generate", None, 405),
    ("POST", "/health", {}, 405),
    ("DELETE", "/v1/models", None, 405),
]

# well-formed requests, including template tokens inside user text, which stay text
GOOD: list[tuple[str, dict[str, Any]]] = [
    ("/infill", {"input_prefix": "def f():\n    ", "input_suffix": "\n", "n_predict": 8}),
    ("/api/generate", {"prompt": "def add(a, b):", "stream": False, "options": {"num_predict": 8}}),
    (
        "/api/generate",
        {
            "prompt": "x = '<|im_start|><|fim_prefix|>' <SUF> <MID>",
            "stream": False,
            "options": {"num_predict": 8},
        },
    ),
    (
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": "<|im_end|>hi"}], "max_tokens": 8},
    ),
    ("/v1/completions", {"prompt": "import os\n", "max_tokens": 8}),
    ("/api/chat", {"messages": [MESSAGE], "stream": False, "options": {"num_predict": 8}}),
]


def send(client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return client.request(method, path, content=body)
    if body is None:
        return client.request(method, path)
    return client.request(method, path, content=json.dumps(body).encode())


def test_every_malformed_request_gets_a_4xx_in_its_dialect(server: Server) -> None:
    assert len(BAD) >= 40

    def bad(case: tuple[str, str, Any, int]) -> tuple[tuple[str, str, Any, int], httpx.Response]:
        method, path, body, _ = case
        with server.client() as client:
            return case, send(client, method, path, body)

    def good(case: tuple[str, dict[str, Any]]) -> httpx.Response:
        with server.client() as client:
            return client.post(case[0], json=case[1])

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        good_futures = [pool.submit(good, case) for case in GOOD * 3]
        outcomes = list(pool.map(bad, BAD))
        good_answers = [future.result() for future in good_futures]

    failures = []
    for (method, path, body, status), response in outcomes:
        shape_ok = _dialect_ok(path, response)
        if response.status_code != status or not shape_ok:
            failures.append(
                f"{method} {path} {str(body)[:60]!r}: {response.status_code} "
                f"{response.text[:120]!r}"
            )
    assert not failures, "\n".join(failures)
    assert all(answer.status_code == 200 for answer in good_answers), [
        (a.status_code, a.text[:100]) for a in good_answers if a.status_code != 200
    ]
    with server.client() as client:
        assert client.get("/health").json()["status"] == "ok"


def _dialect_ok(path: str, response: httpx.Response) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if path.startswith("/api/"):
        return isinstance(error, str) and bool(error)
    return isinstance(error, dict) and {"message", "type", "param", "code"} <= set(error)
