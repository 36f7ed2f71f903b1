"""``/api/pull`` and ``/api/delete`` on a fake engine, pulling from the hub stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from codefill.service.pulled import model_dir
from tests.pull.conftest import FILE, NAME, REPO
from tests.pull.hub_standin import HubStandIn


@pytest.fixture
def client(
    fake_app: Callable[..., Any], standin: HubStandIn, tmp_path: Path
) -> Iterator[TestClient]:
    app = fake_app(models_dir=str(tmp_path), hub_endpoint=standin.url)
    with TestClient(app) as test_client:
        yield test_client


def lines(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def names(client: TestClient) -> list[str]:
    return [model["name"] for model in client.get("/api/tags").json()["models"]]


def test_a_streamed_pull_speaks_ollamas_progress_and_serves_the_model(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.post("/api/pull", json={"model": f"hf.co/{NAME}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    parts = lines(response)
    assert parts[0] == {"status": "pulling manifest"}
    progress = [part for part in parts if "completed" in part]
    assert progress and set(progress[0]) == {"status", "digest", "total", "completed"}
    assert progress[-1]["completed"] == progress[-1]["total"]
    assert progress[0]["digest"].startswith("sha256:")
    assert [part["status"] for part in parts[-3:]] == [
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    assert NAME in names(client)
    answer = client.post("/api/generate", json={"model": f"hf.co/{NAME}", "prompt": "x"})
    assert answer.status_code == 200
    # delete: unknown names are 404, built-in ones cannot go, a pulled one goes from disk
    missing = client.request("DELETE", "/api/delete", json={"model": "nothing"})
    assert missing.status_code == 404 and missing.json() == {"error": "model 'nothing' not found"}
    builtin = client.request("DELETE", "/api/delete", json={"model": "default"})
    assert builtin.status_code == 400 and "cannot be deleted" in builtin.json()["error"]
    deleted = client.request("DELETE", "/api/delete", json={"name": NAME})
    assert deleted.status_code == 200 and deleted.text == ""
    assert NAME not in names(client) and not model_dir(tmp_path, NAME).exists()


def test_a_pull_without_streaming_answers_once(client: TestClient) -> None:
    response = client.post("/api/pull", json={"name": NAME, "stream": False})
    assert response.status_code == 200 and response.json() == {"status": "success"}
    assert NAME in names(client)


def test_unknown_names_are_404s_before_the_stream(client: TestClient) -> None:
    for model, message in [
        ("test-org/nothing:Q4_K_M", "repository 'test-org/nothing' not found"),
        (f"{REPO}:Q8_0", f"no GGUF for quant 'Q8_0'; its GGUFs are {FILE}"),
    ]:
        response = client.post("/api/pull", json={"model": model})
        assert response.status_code == 404 and message in response.json()["error"]
    assert client.post("/api/pull", json={"stream": True}).status_code == 400


def test_a_full_disk_is_refused_with_507(client: TestClient, standin: HubStandIn) -> None:
    standin.huge = True
    response = client.post("/api/pull", json={"model": NAME})
    assert response.status_code == 507 and "not enough disk space" in response.json()["error"]


def test_a_hash_mismatch_is_the_streams_last_line(
    client: TestClient, standin: HubStandIn, tmp_path: Path
) -> None:
    standin.wrong_sha256 = True
    parts = lines(client.post("/api/pull", json={"model": NAME}))
    assert parts[-2] == {"status": "verifying sha256 digest"}
    assert "the download was discarded" in parts[-1]["error"]
    assert NAME not in names(client)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    whole = client.post("/api/pull", json={"model": NAME, "stream": False})
    assert whole.status_code == 502 and "hashes to" in whole.json()["error"]
