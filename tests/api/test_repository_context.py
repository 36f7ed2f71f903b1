"""Repository context through the HTTP layer, on a fake engine: what reaches the prompt.

The fake vocabulary has no repository tokens, so context is rendered as path comments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

UTIL = "def shipping_cost(weight):\n    return weight * 2\n"
EXTRA = [{"filename": "shop/util.py", "text": UTIL}]
CART = "# Path: shop/cart.py\ndef total(order):\n    return shipping_cost( <SUF> ) <MID>"


def prompts(app: Any) -> list[str]:
    return [job.text for job in app.state.manager.loaded()[0].engine.jobs]


def generate(client: TestClient, prompt: str, **fields: Any) -> Any:
    headers = fields.pop("headers", None)
    body = {"prompt": prompt, "stream": False, **fields}
    return client.post("/api/generate", json=body, headers=headers)


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/generate", {"prompt": CART, "stream": False}),
        ("/v1/completions", {"prompt": "def total(order):\n", "suffix": "\n", "max_tokens": 4}),
        ("/infill", {"input_prefix": "def total(order):\n", "input_suffix": "\n"}),
    ],
)
def test_input_extra_goes_before_the_current_file_on_every_route(
    fake_app: Callable[..., Any], route: str, body: dict[str, Any]
) -> None:
    app = fake_app()
    with TestClient(app) as client:
        response = client.post(route, json={**body, "input_extra": EXTRA, "memory": False})
        text = prompts(app)[-1]
    assert response.status_code == 200
    assert text.startswith(f"<|fim_prefix|># Path: shop/util.py\n{UTIL}\n")
    assert text.index("shipping_cost(weight)") < text.index("def total(order):")


def test_memory_shows_a_file_the_session_sent_before(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        generate(client, f"# Path: shop/util.py\n{UTIL} <SUF>  <MID>")
        generate(client, CART)
        generate(client, CART, memory=False)
        generate(client, CART, headers={"X-Codefill-Session": "another editor"})
        with_memory, opted_out, other_session = prompts(app)[1:]
    assert f"# Path: shop/util.py\n{UTIL}" in with_memory
    assert "# Path: shop/cart.py\ndef total(order):" in with_memory
    assert "shop/util.py" not in opted_out
    assert "shop/util.py" not in other_session


def test_the_session_header_keeps_editors_apart(fake_app: Callable[..., Any]) -> None:
    app = fake_app()
    with TestClient(app) as client:
        for session in ("one", "two"):
            util = UTIL.replace("shipping_cost", f"shipping_cost_{session}")
            generate(
                client,
                f"# Path: u.py\n{util} <SUF>  <MID>",
                headers={"X-Codefill-Session": session},
            )
        generate(client, CART, headers={"X-Codefill-Session": "one"})
        last = prompts(app)[-1]
    assert "shipping_cost_one" in last and "shipping_cost_two" not in last


@pytest.mark.parametrize("settings", [{"memory": False}, {"memory_by_address": False}])
def test_server_switches_turn_memory_off(
    fake_app: Callable[..., Any], settings: dict[str, Any]
) -> None:
    app = fake_app(**settings)
    with TestClient(app) as client:
        generate(client, f"# Path: shop/util.py\n{UTIL} <SUF>  <MID>")
        generate(client, CART, memory=True)  # a request cannot turn it back on
        assert "shop/util.py" not in prompts(app)[-1]


def test_a_model_switch_turns_memory_off(fake_app: Callable[..., Any]) -> None:
    app = fake_app(models=[{"name": "default", "path": "/fake.gguf", "memory": False}])
    with TestClient(app) as client:
        generate(client, f"# Path: shop/util.py\n{UTIL} <SUF>  <MID>")
        generate(client, CART)
        assert "shop/util.py" not in prompts(app)[-1]


def test_context_stays_within_its_token_budget(fake_app: Callable[..., Any]) -> None:
    app = fake_app(context_tokens=120)  # the fake tokenizer: one token per character
    extra = [{"filename": f"f{n}.py", "text": f"def shipping_{n}():\n    pass\n"} for n in range(9)]
    with TestClient(app) as client:
        assert generate(client, CART, input_extra=extra).status_code == 200
        text = prompts(app)[-1]
    block = text[len("<|fim_prefix|>") : text.index("# Path: shop/cart.py")]
    assert 0 < len(block) <= 120 and block.count("# Path:") < 9


def test_too_many_snippets_are_refused_in_each_dialect(fake_app: Callable[..., Any]) -> None:
    extra = [{"filename": f"f{n}.py", "text": "x = 1"} for n in range(3)]
    with TestClient(fake_app(max_context_snippets=2)) as client:
        ollama = generate(client, CART, input_extra=extra)
        openai = client.post("/v1/completions", json={"prompt": "x", "input_extra": extra})
        infill = client.post("/infill", json={"input_prefix": "x", "input_extra": extra})
    assert ollama.status_code == 400 and "max_context_snippets" in ollama.json()["error"]
    for response in (openai, infill):
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "input_extra"


@pytest.mark.parametrize(
    "extra", ["context", [{"filename": 3}], [{"text": ["x"]}], {"filename": "a", "text": "b"}]
)
def test_malformed_input_extra_is_a_400(fake_app: Callable[..., Any], extra: Any) -> None:
    with TestClient(fake_app()) as client:
        response = generate(client, CART, input_extra=extra)
    assert response.status_code == 400 and "input_extra" in response.json()["error"]
