"""HTTP-layer tests of the Ollama model routes on a fake engine: tags, ps, version, show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> Iterator[TestClient]:
    with TestClient(fake_app()) as test_client:
        yield test_client


def test_tags_ps_version_root(client: TestClient) -> None:
    tags = client.get("/api/tags").json()["models"]
    assert any(model["name"] == "default" and model["model"] == "default" for model in tags)
    running = client.get("/api/ps").json()["models"]
    assert [model["name"] for model in running] == ["default"]
    assert running[0]["expires_at"] and running[0]["context_length"] == 4096
    assert client.get("/api/version").json()["version"]
    assert client.get("/").text == "Ollama is running"
    assert client.head("/").status_code == 200


def test_show_takes_model_or_name(client: TestClient) -> None:
    for body in ({"model": "default"}, {"name": "default"}):
        shown = client.post("/api/show", json=body).json()
        assert "model_info" in shown and "num_ctx 4096" in shown["parameters"]
        # the fake vocabulary has FIM tokens, so the model supports insert
        assert ".Suffix" in shown["template"] and "insert" in shown["capabilities"]
    missing = client.post("/api/show", json={})
    assert missing.status_code == 400 and "model" in missing.json()["error"]


def test_version_is_a_recent_ollama_with_codefills_own_beside_it(client: TestClient) -> None:
    from codefill import __version__

    body = client.get("/api/version").json()
    major, minor, _patch = (int(part) for part in body["version"].split("."))
    assert (major, minor) >= (0, 9) and body["codefill_version"] == __version__


def test_show_does_not_reveal_where_the_weights_are(client: TestClient) -> None:
    shown = client.post("/api/show", json={"model": "default"}).json()
    assert shown["modelfile"].startswith("FROM default\n") and "/" not in shown["modelfile"]
