"""The official `openai` JavaScript client, driven by js/openai.mjs."""

from __future__ import annotations

import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import assert_node_reported, run_node
from tests.clients.recorder import Recorder


@pytest.mark.parametrize("case", ["chat", "chat_stream"])
def test_chat(recorder: Recorder, case: str) -> None:
    result = run_node("openai.mjs", case, recorder)
    assert_node_reported(result, recorder.last("/v1/chat/completions"))


@pytest.mark.parametrize("case", ["fim", "fim_stream"])
def test_fim(recorder: Recorder, case: str) -> None:
    result = run_node("openai.mjs", case, recorder)
    assert CASES.fim_expected in result["text"]
    assert_node_reported(result, recorder.last("/v1/completions"))


def test_models_list_and_retrieve(recorder: Recorder) -> None:
    models = run_node("openai.mjs", "list", recorder)["models"]
    assert "default" in models and CASES.coder in models
    model = run_node("openai.mjs", "retrieve", recorder)
    assert model == {"id": CASES.coder, "object": "model", "owned_by": model["owned_by"]}
