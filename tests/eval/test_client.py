"""The HTTP side on a fake engine: the prompt format, streaming, timing and refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from codefill.eval.client import complete, fim_prompt, load_model, request_body, wait_healthy
from codefill.eval.errors import HarnessError
from codefill.prompt.meta import parse_prompt

REPLY = "    return 2 * x\n"


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
    with TestClient(fake_app(reply=REPLY)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "prefix,suffix",
    [
        ("def f(x):\n", "\n\nprint(f(1))\n"),
        ("\nfrom typing import List\n  ", "  \n"),
        ("x = [", ""),
    ],
)
def test_prefix_and_suffix_arrive_exactly(prefix: str, suffix: str) -> None:
    parsed = parse_prompt(fim_prompt(prefix, suffix))
    assert (parsed.language, parsed.prefix, parsed.suffix) == ("Python", prefix, suffix)


def test_request_body_is_greedy_streamed_and_carries_postprocess() -> None:
    body = request_body("coder", "a", "b", num_predict=48, postprocess=False)
    assert body == {
        "model": "coder",
        "prompt": "# Language: Python\na <SUF> b <MID>",
        "stream": True,
        "options": {"temperature": 0, "num_predict": 48},
        "postprocess": False,
    }


def test_complete_reads_the_stream_and_times_it(client: TestClient) -> None:
    # Without server-side post-processing the engine's text arrives unchanged.
    body = request_body("default", "def f(x):\n", "", num_predict=32, postprocess=False)
    completion = complete(client, body)
    assert completion.error is None and completion.text == REPLY
    assert completion.ttft is not None and completion.latency is not None
    assert 0 < completion.ttft <= completion.latency
    assert completion.done_reason in {"stop", "length"}


def test_request_failures_are_recorded_not_raised(client: TestClient) -> None:
    body = request_body("no-such-model", "a", "b", num_predict=8, postprocess=True)
    completion = complete(client, body)
    assert completion.text == "" and completion.error is not None
    assert completion.error.startswith("HTTP 404") and "no-such-model" in completion.error


def test_load_model_refuses_unknown_models(client: TestClient) -> None:
    load_model(client, "default")
    with pytest.raises(HarnessError, match="cannot load model 'nope': HTTP 404"):
        load_model(client, "nope")


def test_wait_healthy_fails_at_once_for_a_server_that_is_not_there() -> None:
    import httpx

    from codefill.eval.server import free_port

    with (
        httpx.Client(base_url=f"http://127.0.0.1:{free_port()}") as nothing,
        pytest.raises(HarnessError, match="cannot reach the server"),
    ):
        wait_healthy(nothing, timeout=60)
