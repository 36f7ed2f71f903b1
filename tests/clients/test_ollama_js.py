"""The official `ollama` JavaScript client (ollama-js), driven by js/ollama.mjs."""

from __future__ import annotations

import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import assert_node_reported, run_node
from tests.clients.recorder import Recorder


@pytest.mark.parametrize("case", ["chat", "chat_stream"])
def test_chat(recorder: Recorder, case: str) -> None:
    result = run_node("ollama.mjs", case, recorder)
    assert_node_reported(result, recorder.last("/api/chat"))


@pytest.mark.parametrize("case", ["fim", "fim_stream"])
def test_fim(recorder: Recorder, case: str) -> None:
    result = run_node("ollama.mjs", case, recorder)
    assert CASES.fim_expected in result["text"]
    assert_node_reported(result, recorder.last("/api/generate"))


def test_list(recorder: Recorder) -> None:
    models = run_node("ollama.mjs", "list", recorder)["models"]
    assert "default" in models and CASES.coder in models
