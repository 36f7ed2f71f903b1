"""End to end: the real server and the ``codefill`` command pull from the hub stand-in.

The official ``ollama`` client pulls, lists, generates with and deletes the SmolLM2 file;
``codefill pull`` runs as a subprocess, is cut off and resumed, and refuses what it must.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest

from codefill.service.pulled import model_dir
from tests.conftest import Server, start_server, stop_server
from tests.pull.conftest import FILE, NAME, REPO
from tests.pull.hub_standin import HubStandIn


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def pulling_server(
    hub: HubStandIn, models: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    config = f'models_dir = "{models}"\nhub_endpoint = "{hub.url}"\n'
    running = start_server(tmp_path_factory.mktemp("pulling"), config)
    yield running
    stop_server(running)


def tags(server: Server) -> list[str]:
    return [model["name"] for model in httpx.get(f"{server.url}/api/tags").json()["models"]]


def test_the_ollama_client_pulls_generates_with_and_deletes_a_model(
    pulling_server: Server, standin: HubStandIn, models: Path
) -> None:
    client = ollama.Client(host=pulling_server.url, timeout=300)
    parts = list(client.pull(f"hf.co/{NAME}", stream=True))
    statuses = [part.status for part in parts]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    progress = [part for part in parts if part.completed is not None]
    assert len(progress) > 2 and progress[-1].completed == progress[-1].total
    assert NAME in tags(pulling_server)
    answer = client.generate(
        model=f"hf.co/{NAME}", prompt="The capital of France is", options={"num_predict": 8}
    )
    assert answer.response.strip()
    assert client.show(NAME).modelfile  # the template comes from the GGUF, as for any file
    client.delete(NAME)
    assert NAME not in tags(pulling_server) and not model_dir(models, NAME).exists()
    with pytest.raises(ollama.ResponseError) as deleted:
        client.delete(NAME)
    assert deleted.value.status_code == 404


def test_the_ollama_client_raises_for_unknown_names(pulling_server: Server) -> None:
    client = ollama.Client(host=pulling_server.url, timeout=60)
    for name, message in [
        ("test-org/nothing:Q4_K_M", "repository 'test-org/nothing' not found"),
        (f"{REPO}:Q8_0", "no GGUF for quant 'Q8_0'"),
    ]:
        with pytest.raises(ollama.ResponseError) as error:
            list(client.pull(name, stream=True))
        assert error.value.status_code == 404 and message in error.value.error


# The CLI as a terminal starts it. A test run started in the background by a shell without
# job control inherits SIGINT ignored, and Python then never raises KeyboardInterrupt: the
# interrupt test would see the pull finish. So Ctrl-C's handler is put back first.
CLI = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'codefill'; runpy.run_module('codefill', run_name='__main__')"
)


def codefill(models: Path, hub: HubStandIn, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CODEFILL_MODELS_DIR": str(models), "CODEFILL_HUB_ENDPOINT": hub.url}
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run(models: Path, hub: HubStandIn, *args: str) -> tuple[int, str, str]:
    process = codefill(models, hub, *args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_codefill_pull_shows_progress_and_resumes_after_a_cut_and_an_interrupt(
    standin: HubStandIn, models: Path, pulling_server: Server
) -> None:
    """Into the running server's folder, which serves the model without a restart."""
    standin.rate = 10e6  # about ten seconds for the file: the interrupt lands midway
    process = codefill(models, standin, "pull", NAME)
    partial = model_dir(models, NAME)
    deadline = time.monotonic() + 60
    reached = False
    while not reached and time.monotonic() < deadline and process.poll() is None:
        partials = list(partial.glob("*.partial")) if partial.exists() else []
        reached = bool(partials) and partials[0].stat().st_size >= 20_000_000
        time.sleep(0.05)
    assert reached, f"the pull ended or stalled before 20 MB: {process.poll()}"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "pull again to resume it" in err
    kept = next(partial.glob("*.partial")).stat().st_size
    assert kept >= 20_000_000
    standin.rate, standin.cut_after = None, 30_000_000  # and the resumed pull is cut once
    standin.requests.clear()
    code, out, err = run(models, standin, "pull", NAME)
    assert code == 0, err
    ranges = [header for method, _, header in standin.requests if method == "GET" and header]
    assert ranges[0] == f"bytes={kept}-" and len(ranges) == 2
    assert "pulling manifest" in err and "100%" in err and err.rstrip().endswith("success")
    assert out.startswith(NAME) and (partial / FILE).is_file()
    assert not list(partial.glob("*.partial"))
    assert NAME in tags(pulling_server)
    assert run(models, standin, "rm", f"hf.co/{NAME}")[0] == 0 and not partial.exists()
    assert NAME not in tags(pulling_server)
    assert run(models, standin, "rm", NAME)[0] == 1


def test_codefill_pull_refuses_unknown_names_bad_files_and_a_full_disk(
    standin: HubStandIn, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    code, _, err = run(models, standin, "pull", "test-org/nothing:Q4_K_M")
    assert code == 1 and "repository 'test-org/nothing' not found" in err
    code, _, err = run(models, standin, "pull", f"{REPO}:Q8_0")
    assert code == 1 and "no GGUF for quant 'Q8_0'" in err
    standin.wrong_sha256 = True
    code, _, err = run(models, standin, "pull", NAME)
    assert code == 1 and "the download was discarded" in err
    assert [path for path in models.rglob("*") if path.is_file()] == []
    standin.wrong_sha256, standin.huge = False, True
    code, _, err = run(models, standin, "pull", NAME)
    assert code == 1 and "not enough disk space" in err
