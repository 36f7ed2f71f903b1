"""The pull service with the real huggingface_hub code against the hub stand-in."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from codefill.errors import (
    BadRequest,
    CodefillError,
    InsufficientStorage,
    NotFound,
    UpstreamError,
)
from codefill.service import pull as pull_module
from codefill.service.pull import plan_pull, run_pull
from codefill.service.pull_names import PullCancelled, PullProgress
from codefill.service.pulled import model_dir, pulled_models
from tests.pull.conftest import FILE, NAME, REPO, smollm2_file
from tests.pull.hub_standin import WRONG_SHA256, HubStandIn, sha256_of


def pull(standin: HubStandIn, models: Path, name: str = NAME, **kwargs: Any) -> list[PullProgress]:
    events: list[PullProgress] = []
    run_pull(plan_pull(name, models, standin.url), events.append, **kwargs)
    return events


def files_in(models: Path) -> list[str]:
    return sorted(str(path.relative_to(models)) for path in models.rglob("*") if path.is_file())


def test_a_pull_reports_progress_checks_the_hash_and_leaves_a_model(
    standin: HubStandIn, tmp_path: Path
) -> None:
    events = pull(standin, tmp_path)
    sha256 = sha256_of(smollm2_file())
    downloading = [event for event in events if event.total]
    assert downloading[0].completed == 0 and downloading[-1].completed == downloading[-1].total
    assert all(event.digest == f"sha256:{sha256}" for event in downloading)
    assert downloading[0].status == f"pulling {sha256[:12]}"
    assert [event.status for event in events if not event.total] == [
        "verifying sha256 digest",
        "writing manifest",
    ]
    directory = model_dir(tmp_path, NAME)
    assert files_in(tmp_path) == [f"{directory.name}/manifest.json", f"{directory.name}/{FILE}"]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["sha256"] == sha256 and manifest["repo"] == REPO
    [config] = pulled_models(tmp_path)
    assert config.name == NAME and f"hf.co/{NAME}" in config.aliases
    assert config.path == str(directory / FILE)
    # the requests huggingface_hub made: the file list, the metadata, the bytes
    assert [method for method, _, _ in standin.requests] == ["GET", "HEAD", "GET"]
    # a pull of what is there already downloads nothing
    standin.requests.clear()
    again = pull(standin, tmp_path, f"hf.co/{NAME}")
    assert [method for method, _, _ in standin.requests] == ["GET", "HEAD"]
    assert again[0].completed == again[0].total


def test_a_cut_connection_is_resumed_with_a_range_request(
    standin: HubStandIn, tmp_path: Path
) -> None:
    standin.cut_after = 25_000_000
    pull(standin, tmp_path)
    ranges = [header for method, _, header in standin.requests if method == "GET" and header]
    assert len(ranges) == 1 and ranges[0].startswith("bytes=")
    target = model_dir(tmp_path, NAME) / FILE
    assert sha256_of(target) == sha256_of(smollm2_file())


def test_a_pull_given_up_leaves_a_partial_file_the_next_one_resumes(
    standin: HubStandIn, tmp_path: Path
) -> None:
    seen: list[int] = []

    def give_up() -> bool:
        return len(seen) > 0 and seen[-1] >= 30_000_000

    plan = plan_pull(NAME, tmp_path, standin.url)
    with pytest.raises(PullCancelled):
        run_pull(plan, lambda event: seen.append(event.completed), give_up)
    assert plan.partial.is_file() and plan.partial.stat().st_size == seen[-1]
    assert pulled_models(tmp_path) == []  # a partial file is not a model
    standin.requests.clear()
    pull(standin, tmp_path)
    assert standin.requests[-1][2] == f"bytes={seen[-1]}-"
    assert sha256_of(plan.target) == sha256_of(smollm2_file()) and not plan.partial.exists()


def test_a_file_whose_hash_does_not_match_is_discarded(standin: HubStandIn, tmp_path: Path) -> None:
    standin.wrong_sha256 = True
    with pytest.raises(UpstreamError, match=f"the hub says {WRONG_SHA256}"):
        pull(standin, tmp_path)
    assert files_in(tmp_path) == [] and pulled_models(tmp_path) == []


def test_unknown_repositories_and_quants_are_not_found(standin: HubStandIn, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="repository 'test-org/nothing' not found"):
        plan_pull("test-org/nothing:Q4_K_M", tmp_path, standin.url)
    with pytest.raises(
        NotFound, match=re.escape(f"no GGUF for quant 'Q8_0'; its GGUFs are {FILE}")
    ):
        plan_pull(f"{REPO}:Q8_0", tmp_path, standin.url)
    with pytest.raises(NotFound, match="not found"):
        plan_pull(f"{standin.url}/files/missing.gguf", tmp_path, standin.url)
    with pytest.raises(BadRequest, match="cannot pull"):
        plan_pull("not a model", tmp_path, standin.url)
    assert files_in(tmp_path) == []


def test_the_only_gguf_of_a_repository_needs_no_quant(standin: HubStandIn, tmp_path: Path) -> None:
    plan = plan_pull(f"{REPO}:latest", tmp_path, standin.url)
    assert plan.file == FILE and plan.reference.name == REPO


def test_a_file_url_is_pulled_and_named_after_its_file(standin: HubStandIn, tmp_path: Path) -> None:
    url = f"{standin.url}/files/{FILE}"
    pull(standin, tmp_path, url)
    [config] = pulled_models(tmp_path)
    assert config.name == FILE.removesuffix(".gguf") and config.aliases == (url,)


def test_a_file_too_big_for_the_disk_is_refused_before_it_starts(
    standin: HubStandIn, tmp_path: Path
) -> None:
    standin.huge = True
    with pytest.raises(InsufficientStorage, match=r"it needs 1000000\.00 GB, and .* free"):
        plan_pull(NAME, tmp_path / "models", standin.url)
    assert files_in(tmp_path) == []


def test_a_disk_that_fills_up_during_the_download_is_a_clear_error(
    standin: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pull_module, "http_get", full)
    with pytest.raises(InsufficientStorage, match="the disk filled up"):
        pull(standin, tmp_path)
    assert files_in(tmp_path) == []


def test_a_hub_that_fails_is_an_upstream_error(
    standin: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)  # huggingface_hub's waits between retries
    with pytest.raises(UpstreamError, match="cannot reach"):
        plan_pull(NAME, tmp_path, "http://127.0.0.1:9")
    # every retry is cut before a whole 10 MB chunk arrives: huggingface_hub gives up
    standin.cut_after, standin.cuts = 5_000_000, 100
    plan = plan_pull(NAME, tmp_path, standin.url)
    with pytest.raises(UpstreamError, match="pull again to resume it"):
        run_pull(plan, lambda _: None)
    assert plan.partial.exists()  # kept for the next pull


@pytest.mark.parametrize(
    ("fail", "error", "message"),
    [
        ((403, "GatedRepo"), NotFound, "is gated: accept its terms"),
        ((404, "EntryNotFound"), NotFound, "failing as told"),
        ((404, ""), NotFound, r"not found \(404\)"),
        ((500, ""), UpstreamError, "the hub at .* failed"),
    ],
)
def test_the_hubs_refusals_are_codefills_errors(
    standin: HubStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail: tuple[int, str],
    error: type[Exception],
    message: str,
) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)  # huggingface_hub retries a 500
    standin.fail = fail
    with pytest.raises(error, match=message):
        plan_pull(NAME, tmp_path, standin.url)


def test_a_second_pull_of_a_model_waits_for_the_first(standin: HubStandIn, tmp_path: Path) -> None:
    plan = plan_pull(NAME, tmp_path, standin.url)
    plan.directory.mkdir()
    holder = os.open(plan.directory, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process is pulling it
    events: list[PullProgress] = []
    try:
        with pytest.raises(PullCancelled):
            run_pull(plan, events.append, lambda: len(events) > 0)
    finally:
        os.close(holder)
    assert events == [PullProgress(f"waiting for another pull of {NAME}")]


def test_a_partial_file_that_cannot_be_the_start_of_the_file_is_dropped(
    standin: HubStandIn, tmp_path: Path
) -> None:
    plan = plan_pull(NAME, tmp_path, standin.url)
    plan.directory.mkdir()
    with plan.partial.open("wb") as partial:
        partial.truncate(plan.size + 1)
    steps: list[str] = []
    with pytest.raises(PullCancelled):  # given up while it verifies: the file stays partial
        run_pull(plan, lambda event: steps.append(event.status), lambda: "verifying" in steps[-1])
    assert plan.partial.stat().st_size == plan.size and not plan.target.exists()


def test_a_models_folder_that_cannot_be_made_is_a_clear_error(
    standin: HubStandIn, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    plan = plan_pull(NAME, tmp_path / "file", standin.url)
    with pytest.raises(CodefillError, match="cannot write to the models folder"):
        run_pull(plan, lambda _: None)
