"""LangChain.js's Ollama integration (@langchain/ollama), driven by js/langchain.mjs."""

from __future__ import annotations

import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import assert_node_reported, run_node
from tests.clients.recorder import Recorder


@pytest.mark.parametrize("case", ["chat", "chat_stream"])
def test_chat(recorder: Recorder, case: str) -> None:
    result = run_node("langchain.mjs", case, recorder)
    assert_node_reported(result, recorder.last("/api/chat"))


def test_completion(recorder: Recorder) -> None:
    """The LLM class returns only text (its usage stays inside the library)."""
    result = run_node("langchain.mjs", "completion", recorder)
    assert CASES.fim_expected in result["text"]
    assert result["text"] == recorder.last("/api/generate").text()
