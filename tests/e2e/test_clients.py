"""The official `openai` and `ollama` client libraries against the real server."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import ollama
import openai
import pytest

from tests.conftest import Server

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write an article about the weather of Seattle."},
]


def test_seed_python_example_verbatim(server: Server) -> None:
    """The seed document's snippet, run as written with only the port changed."""
    port = server.url.rsplit(":", 1)[1]
    script = textwrap.dedent(
        f"""
        import openai

        openai.base_url = "http://localhost:{port}"
        openai.api_key = "sk-no-key-required"

        for is_streaming in (True, False):
            response = openai.chat.completions.create(
                model="default",
                messages=[
                    {{"role": "system", "content": "You are a helpful assistant."}},
                    {{"role": "user", "content": "Write an article about the weather of Seattle."}}
                ],
                stream = is_streaming,
                max_tokens = 48,
            )

            if is_streaming:
                for chunk in response:
                    print(chunk.choices[0].delta.content or "", end = "")
            else:
                print(response.choices[0].message.content)
            print("<<END>>")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    streamed, whole, _ = done.stdout.split("<<END>>")
    assert streamed.strip() and whole.strip()


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_openai_client_strict_validation(server: Server, suffix: str) -> None:
    client = openai.OpenAI(
        base_url=server.url + suffix, api_key="sk-x", _strict_response_validation=True
    )
    answer = client.chat.completions.create(model="default", messages=MESSAGES, max_tokens=16)
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content
    assert answer.choices[0].finish_reason in {"stop", "length"}
    assert answer.usage is not None and answer.usage.completion_tokens > 0


def test_openai_client_streaming_and_usage(server: Server) -> None:
    client = openai.OpenAI(
        base_url=server.url + "/v1", api_key="x", _strict_response_validation=True
    )
    chunks = list(
        client.chat.completions.create(
            model="default",
            messages=MESSAGES,
            max_tokens=24,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert text and finishes[-1] in {"stop", "length"} and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    whole = client.chat.completions.create(
        model="default", messages=MESSAGES, max_tokens=24, temperature=0
    )
    assert whole.choices[0].message.content == text


def test_openai_stream_helper_final_completion(server: Server) -> None:
    client = openai.OpenAI(base_url=server.url, api_key="x")
    with client.chat.completions.stream(  # greedy: a sampled answer may be empty
        model="default",
        messages=[{"role": "user", "content": "Say hi."}],
        max_tokens=400,
        temperature=0,
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content


def test_openai_errors_raise_typed_exceptions(server: Server) -> None:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="default", messages=[])


def test_ollama_client_generate(server: Server) -> None:
    client = ollama.Client(host=server.url)
    answer = client.generate(
        model="default", prompt="def f():", options={"num_predict": 16, "temperature": 0}
    )
    assert answer.done is True and answer.done_reason in {"stop", "length"}
    assert isinstance(answer.total_duration, int) and isinstance(answer.eval_count, int)
    assert isinstance(answer.eval_duration, int) and answer.response
    parts = list(
        client.generate(
            model="default",
            prompt="def f():",
            options={"num_predict": 16, "temperature": 0},
            stream=True,
        )
    )
    assert parts[-1].done is True and parts[-1].done_reason in {"stop", "length"}
    assert all(part.done is False for part in parts[:-1])
    assert "".join(part.response for part in parts) == answer.response


def test_ollama_client_errors(server: Server) -> None:
    client = ollama.Client(host=server.url)
    with pytest.raises(ollama.ResponseError) as caught:
        client.generate(model="missing-model", prompt="x")
    assert caught.value.status_code == 404 and "missing-model" in caught.value.error
