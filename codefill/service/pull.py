"""Pull a GGUF from the Hugging Face Hub (or a file URL) into the models folder.

Two blocking steps, so that an HTTP route can refuse before it starts streaming:
:func:`plan_pull` asks the hub which file a name means, its size and sha256 (a 404-style
:class:`NotFound` for an unknown repository or quant, :class:`InsufficientStorage` when it
cannot fit); :func:`run_pull` downloads it with huggingface_hub's ``http_get``, resuming a
``.partial`` file that an earlier pull left, checks the sha256, moves the file into place
and writes the manifest, reporting :class:`PullProgress` as it goes. ``hf_hub_download``
itself is not used: its temporary file is unique to one call and deleted on failure, so a
pull cut off (Ctrl-C, a client gone) could not be resumed by the next one.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx2
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

from codefill.errors import CodefillError, InsufficientStorage, NotFound, UpstreamError
from codefill.service.pull_names import (
    PullCancelled,
    PullProgress,
    Reference,
    parse_reference,
    pick_gguf,
)
from codefill.service.pulled import Manifest, model_dir, read_manifest, write_manifest
from codefill.settings import ModelConfig

__all__ = ["PullCancelled", "PullPlan", "PullProgress", "plan_pull", "run_pull"]

_SHA256_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class PullPlan:
    """Which file a pull fetches, from where, and what it must hash to."""

    reference: Reference
    url: str
    file: str  # the file's name in the model's directory
    size: int  # 0: the server did not say
    sha256: str  # "": the server did not say (a plain URL); the file is then not checked
    directory: Path

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}" if self.sha256 else ""

    @property
    def status(self) -> str:
        return f"pulling {self.sha256[:12] or self.file}"

    @property
    def partial(self) -> Path:
        return self.directory / f"{self.sha256 or 'unverified'}.partial"

    @property
    def target(self) -> Path:
        return self.directory / self.file


def plan_pull(text: str, models_dir: Path, endpoint: str) -> PullPlan:
    """Resolve what the user typed to a file on the hub (blocking: it asks the hub)."""
    reference = parse_reference(text)
    path, lfs_sha256 = "", ""
    if reference.repo:
        with _hub_errors(reference, endpoint):
            entries = HfApi(endpoint=endpoint).list_repo_tree(reference.repo, recursive=True)
            files = {entry.path: entry for entry in entries if isinstance(entry, RepoFile)}
        try:
            path = pick_gguf(list(files), reference)
        except LookupError as error:
            raise NotFound(str(error)) from None
        lfs = files[path].lfs
        lfs_sha256 = lfs.sha256 if lfs is not None else ""
        url = hf_hub_url(reference.repo, path, endpoint=endpoint)
    else:
        url = reference.url
    with _hub_errors(reference, endpoint):
        metadata = get_hf_file_metadata(url, endpoint=endpoint, retry_on_errors=True)
    etag = metadata.etag or ""
    sha256 = lfs_sha256 or (etag if len(etag) == 64 and set(etag) <= _SHA256_HEX else "")
    file = (path or url).rsplit("/", 1)[-1]
    plan = PullPlan(
        reference, url, file, metadata.size or 0, sha256, model_dir(models_dir, reference.name)
    )
    _check_space(plan)
    return plan


def run_pull(
    plan: PullPlan,
    report: Callable[[PullProgress], None],
    cancelled: Callable[[], bool] = lambda: False,
) -> ModelConfig:
    """Download, verify and install the planned file (blocking); its model's config."""
    try:
        plan.directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CodefillError(f"cannot write to the models folder: {error}") from None
    with _exclusive(plan, report, cancelled):
        installed = read_manifest(plan.directory)
        if installed is not None and installed.sha256 == plan.sha256 and plan.sha256:
            report(PullProgress(plan.status, plan.digest, plan.size, plan.size))
        else:
            _download(plan, report, cancelled)
            report(PullProgress("verifying sha256 digest"))
            _verify(plan, cancelled)
            plan.partial.replace(plan.target)
        report(PullProgress("writing manifest"))
        reference = plan.reference
        manifest = Manifest(
            reference.name,
            reference.aliases,
            reference.repo,
            plan.file,
            plan.url,
            plan.target.stat().st_size,
            plan.sha256,
        )
        write_manifest(plan.directory, manifest)
    return manifest.config(plan.directory)


def _download(
    plan: PullPlan, report: Callable[[PullProgress], None], cancelled: Callable[[], bool]
) -> None:
    """Fetch the file into its ``.partial``, starting where an earlier pull stopped."""
    done = plan.partial.stat().st_size if plan.partial.exists() else 0
    if plan.size and done > plan.size:  # not a prefix of this file: start again
        plan.partial.unlink()
        done = 0

    class Meter:
        """Stands in for the tqdm bar ``http_get`` updates, to report progress."""

        def __init__(self, *, initial: int = 0, **_: Any) -> None:
            self.completed = initial
            report(PullProgress(plan.status, plan.digest, plan.size, initial))

        def update(self, count: int) -> None:
            if cancelled():
                raise PullCancelled
            self.completed += count
            report(PullProgress(plan.status, plan.digest, plan.size, self.completed))

        def __enter__(self) -> Meter:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    try:
        with plan.partial.open("ab") as out:
            http_get(
                plan.url,
                out,
                resume_size=done,
                headers=build_hf_headers(),
                expected_size=plan.size or None,
                displayed_filename=plan.file,
                tqdm_class=cast(Any, Meter),
            )
    except (HfHubHTTPError, httpx2.HTTPError) as error:
        raise UpstreamError(
            f"the download of {plan.file} failed ({_first_line(error)}); pull again to resume it"
        ) from None
    except OSError as error:
        plan.partial.unlink(missing_ok=True)  # a wrong length, or a full disk: not resumable
        if error.errno == errno.ENOSPC:
            raise InsufficientStorage(
                f"the disk filled up while pulling {plan.file} ({_size(plan.size)}) into "
                f"{plan.directory.parent}: free some space and pull again"
            ) from None
        raise UpstreamError(f"the download of {plan.file} failed: {_first_line(error)}") from None


def _verify(plan: PullPlan, cancelled: Callable[[], bool]) -> None:
    """Check the downloaded file's sha256 against the hub's; a mismatch leaves nothing."""
    digest = hashlib.sha256()
    with plan.partial.open("rb") as file:
        while block := file.read(1 << 23):
            if cancelled():
                raise PullCancelled
            digest.update(block)
    actual = digest.hexdigest()
    if plan.sha256 and actual != plan.sha256:
        plan.partial.unlink()
        raise UpstreamError(
            f"{plan.file} hashes to sha256 {actual}, but the hub says {plan.sha256}: "
            "the download was discarded"
        )


@contextmanager
def _exclusive(
    plan: PullPlan, report: Callable[[PullProgress], None], cancelled: Callable[[], bool]
) -> Iterator[None]:
    """One pull of a model at a time, across threads and processes (``codefill pull``
    beside a server): a second waits, then finds the file there."""
    handle = os.open(plan.directory, os.O_RDONLY)  # a directory can be flock()ed too
    try:
        waiting = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancelled():
                    raise PullCancelled from None
                if not waiting:
                    report(PullProgress(f"waiting for another pull of {plan.reference.name}"))
                    waiting = True
                time.sleep(0.2)
        yield
    finally:
        os.close(handle)  # releases the lock


def _check_space(plan: PullPlan) -> None:
    """Refuse a file that cannot fit, before any of it is written."""
    done = plan.partial.stat().st_size if plan.partial.exists() else 0
    existing = plan.directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if plan.size - done > free:
        raise InsufficientStorage(
            f"not enough disk space to pull {plan.file}: it needs {_size(plan.size - done)}, "
            f"and {existing} has {_size(free)} free"
        )


@contextmanager
def _hub_errors(reference: Reference, endpoint: str) -> Iterator[None]:
    """The hub's refusals as codefill's errors: what is unknown is a 404 in every interface."""
    what = f"repository '{reference.repo}'" if reference.repo else f"'{reference.url}'"
    try:
        yield
    except GatedRepoError:
        raise NotFound(
            f"{what} on {endpoint} is gated: accept its terms on the hub and set HF_TOKEN"
        ) from None
    except RepositoryNotFoundError:
        raise NotFound(f"{what} not found on {endpoint}") from None
    except (RevisionNotFoundError, RemoteEntryNotFoundError) as error:
        raise NotFound(f"{what}: {error.server_message or _first_line(error)}") from None
    except HfHubHTTPError as error:
        if error.response.status_code == 404:
            raise NotFound(f"{what} not found (404)") from None
        raise UpstreamError(f"the hub at {endpoint} failed: {_first_line(error)}") from None
    except httpx2.HTTPError as error:
        raise UpstreamError(f"cannot reach {endpoint}: {error}") from None


def _first_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _size(count: int) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e8 else f"{count / 1e6:.1f} MB"
