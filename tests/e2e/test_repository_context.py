"""Repository context on the real coder model: a name from another file, three ways in.

``shop/pricing.py`` defines ``compute_total_price_with_tax``; ``shop/cart.py`` needs it but
never mentions it. The model can only write that name when it is shown the other file:
by the session memory (the session sent the file before), or by ``input_extra``.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import Server

CODER = "qwen2.5-coder"
NAME = "compute_total_price_with_tax"
PRICING = f'''"""Prices and taxes for the shop."""


def {NAME}(items, tax_rate):
    """Sum of the items' prices with tax added."""
    return sum(item.price for item in items) * (1 + tax_rate)


def format_money(amount):
    return f"${{amount:.2f}}"
'''
CART_PREFIX = '''def checkout(cart, tax_rate):
    """Charge the customer for the cart's items, tax included."""
    total = '''
CART_SUFFIX = "\n    return total\n"
GREEDY = {"temperature": 0, "num_predict": 24}


def generate(client: httpx.Client, session: str, prompt: str, **fields: Any) -> dict[str, Any]:
    body = {"model": CODER, "prompt": prompt, "stream": False, "options": GREEDY, **fields}
    reply = client.post("/api/generate", json=body, headers={"X-Codefill-Session": session})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def cart(typed: str = "") -> str:
    return f"# Path: shop/cart.py\n{CART_PREFIX}{typed} <SUF> {CART_SUFFIX} <MID>"


def test_memory_completes_a_name_seen_only_in_another_file(server: Server) -> None:
    session = uuid.uuid4().hex
    with server.client() as client:
        generate(client, session, f"# Path: shop/pricing.py\n{PRICING} <SUF>  <MID>")
        without = generate(client, session, cart(), memory=False)
        remembered = generate(client, session, cart())
        stranger = generate(client, uuid.uuid4().hex, cart())
    assert NAME in remembered["response"], remembered["response"]
    assert NAME not in without["response"], without["response"]
    assert NAME not in stranger["response"], stranger["response"]  # another session
    assert remembered["input_tokens"] > without["input_tokens"]  # the context is in the prompt


def test_input_extra_on_api_generate(server: Server) -> None:
    extra = [{"filename": "shop/pricing.py", "text": PRICING}]
    with server.client() as client:
        answer = generate(client, uuid.uuid4().hex, cart(), input_extra=extra, memory=False)
    assert NAME in answer["response"], answer["response"]


def test_input_extra_on_infill(server: Server) -> None:
    body = {
        "model": CODER,
        "input_prefix": CART_PREFIX,
        "input_suffix": CART_SUFFIX,
        "input_extra": [{"filename": "shop/pricing.py", "text": PRICING}],
        "n_predict": 24,
        "temperature": 0,
    }
    with server.client() as client:
        shown = client.post("/infill", json=body).json()
        hidden = client.post("/infill", json={**body, "input_extra": []}).json()
    assert NAME in shown["content"], shown["content"]
    assert NAME not in hidden["content"], hidden["content"]


def test_the_kv_cache_keeps_the_context_across_keystrokes(server: Server) -> None:
    """Two keystrokes in cart.py: the second prompt's context block comes from the cache."""
    session = uuid.uuid4().hex
    with server.client() as client:
        generate(client, session, f"# Path: shop/pricing.py\n{PRICING} <SUF>  <MID>")
        plain = generate(client, uuid.uuid4().hex, cart(), memory=False)
        first = generate(client, session, cart())
        # a different num_predict keeps type-ahead out of it: the model runs again
        second = generate(client, session, cart("c"), options={**GREEDY, "num_predict": 16})
    block = first["input_tokens"] - plain["input_tokens"]
    assert block > 50  # the pricing file is in the prompt
    assert second["timings"]["cached_tokens"] >= block + len(CART_PREFIX) // 8
    assert second["timings"]["evaluated_tokens"] < 40
