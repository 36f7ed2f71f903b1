"""What a user may ask to pull, the name the pulled model is served by, and the progress
a pull reports (here, apart from the download, so that the server need not import
huggingface_hub until something is pulled).

``org/repo:QUANT`` (Ollama's ``hf.co/org/repo:QUANT`` too) names a GGUF in a Hugging Face
repository by its quantization; ``https://host/.../file.gguf`` names a file. A repository's
model is served under ``org/repo:QUANT`` and answers to the ``hf.co/`` spelling as well, so
that an Ollama client can use the name it pulled; a URL's model is named after its file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from codefill.errors import BadRequest

__all__ = ["PullCancelled", "PullProgress", "Reference", "parse_reference", "pick_gguf"]

_HUB_PREFIXES = ("hf.co/", "huggingface.co/")
_REPO = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_SPLIT = re.compile(r"-\d{5}-of-\d{5}\.gguf$", re.IGNORECASE)
DEFAULT_QUANT = "Q4_K_M"  # what Ollama picks from a repository when no tag is given


class PullCancelled(Exception):
    """The caller gave up (a client left); the partial file stays for the next pull."""


@dataclass(frozen=True)
class PullProgress:
    """One step of a pull, as Ollama's ``/api/pull`` reports it."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


@dataclass(frozen=True)
class Reference:
    """A parsed pull request: a repository and quant, or a file URL."""

    name: str
    aliases: tuple[str, ...] = ()
    repo: str = ""
    quant: str = ""  # "" : Q4_K_M if the repository has it, else its only GGUF
    url: str = ""


def parse_reference(text: str) -> Reference:
    """Parse what the user typed; :class:`BadRequest` says what is accepted."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return _url_reference(text)
    repo, _, quant = text.partition(":")
    for prefix in _HUB_PREFIXES:
        repo = repo.removeprefix(prefix)
    if not _REPO.fullmatch(repo) or ":" in quant or "/" in quant:
        raise BadRequest(
            f"cannot pull '{text}': give a Hugging Face repository and quant "
            "(org/repo:Q4_K_M, or Ollama's hf.co/org/repo:Q4_K_M) or a https:// URL of a .gguf file"
        )
    quant = "" if quant.lower() == "latest" else quant
    name = f"{repo}:{quant}" if quant else repo
    return Reference(name, tuple(prefix + name for prefix in _HUB_PREFIXES), repo=repo, quant=quant)


def _url_reference(url: str) -> Reference:
    path = unquote(urlsplit(url).path)
    file = path.rsplit("/", 1)[-1]
    if not file.lower().endswith(".gguf"):
        raise BadRequest(f"cannot pull '{url}': a URL must name a .gguf file")
    # a page of the hub (.../blob/main/x.gguf) stands for the file itself (.../resolve/...)
    url = url.replace("/blob/", "/resolve/", 1)
    return Reference(file[: -len(".gguf")], (url,), url=url)


def pick_gguf(files: list[str], reference: Reference) -> str:
    """The repository file a reference's quant names; NotFound-worthy ``LookupError`` if none.

    A quant matches a file whose name ends in it (``*-Q4_K_M.gguf``, any case). Split GGUFs
    (``-00001-of-00003``) and vision projectors are not models codefill can load alone.
    """
    ggufs = [
        path
        for path in files
        if path.lower().endswith(".gguf")
        and not _SPLIT.search(path)
        and "mmproj" not in path.rsplit("/", 1)[-1].lower()
    ]
    if not ggufs:
        raise LookupError(f"repository '{reference.repo}' has no single-file GGUF model")
    quant = reference.quant or DEFAULT_QUANT
    ending = re.compile(rf"(^|[-._/]){re.escape(quant)}\.gguf$", re.IGNORECASE)
    matches = sorted((path for path in ggufs if ending.search(path)), key=len)
    if matches:
        return matches[0]
    if not reference.quant and len(ggufs) == 1:
        return ggufs[0]
    listed = ", ".join(sorted(path.rsplit("/", 1)[-1] for path in ggufs))
    raise LookupError(
        f"repository '{reference.repo}' has no GGUF for quant '{quant}'; its GGUFs are {listed}"
    )
