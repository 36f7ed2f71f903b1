"""The Vercel AI SDK: ai@6 with @ai-sdk/openai-compatible and with ollama-ai-provider-v2
(js/ai-sdk.mjs), and the first ollama-ai-provider on ai@4 (js/ai-sdk-v4/).

The SDK has no model listing. Its completion models wrap a prompt as a chat turn
("user:\\n...\\n\\nassistant:\\n"), so their text is checked against the server's, not
for a particular completion.
"""

from __future__ import annotations

import pytest

from tests.clients.conftest import assert_node_reported, run_node
from tests.clients.recorder import Recorder

SCRIPT = "ai-sdk.mjs"
V4_SCRIPT = "ai-sdk-v4/ollama-ai-provider.mjs"


@pytest.mark.parametrize("case", ["compatible_chat", "compatible_chat_stream"])
def test_openai_compatible_chat(recorder: Recorder, case: str) -> None:
    result = run_node(SCRIPT, case, recorder)
    assert_node_reported(result, recorder.last("/v1/chat/completions"))


@pytest.mark.parametrize("case", ["compatible_completion", "compatible_completion_stream"])
def test_openai_compatible_completion(recorder: Recorder, case: str) -> None:
    result = run_node(SCRIPT, case, recorder)
    assert_node_reported(result, recorder.last("/v1/completions"))


@pytest.mark.parametrize("case", ["ollama_chat", "ollama_chat_stream"])
def test_ollama_provider_v2_chat(recorder: Recorder, case: str) -> None:
    result = run_node(SCRIPT, case, recorder)
    assert_node_reported(result, recorder.last("/api/chat"))


def test_ollama_provider_v2_completion(recorder: Recorder) -> None:
    result = run_node(SCRIPT, "ollama_fim", recorder)
    exchange = recorder.last("/api/generate")
    assert exchange.json["suffix"]
    assert_node_reported(result, exchange)


@pytest.mark.xfail(
    strict=True,
    reason="ollama-ai-provider-v2 3.6.0 checks every streamed line of /api/generate against "
    "its final-answer schema, which requires `context`; Ollama sends `context` on the last "
    "line only, so the stream's text is dropped (against Ollama too). Its completion stream "
    "never reads the token counts either.",
)
def test_ollama_provider_v2_completion_stream(recorder: Recorder) -> None:
    result = run_node(SCRIPT, "ollama_fim_stream", recorder)
    assert result["text"] and result["text"] == recorder.last("/api/generate").text()


@pytest.mark.parametrize("case", ["chat", "chat_stream"])
def test_ollama_provider_v1_chat(recorder: Recorder, case: str) -> None:
    result = run_node(V4_SCRIPT, case, recorder)
    assert_node_reported(result, recorder.last("/api/chat"))
