"""The Ollama dialect's model routes: ``/api/tags``, ``/api/show``, ``/api/ps``,
``/api/version`` and ``/``, with the fields real clients index into."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from codefill import __version__
from codefill.api.health import engine_state
from codefill.api.ollama.schemas import ShowBody
from codefill.api.wire import body_schema, dumps, read_model
from codefill.prompt.templates import as_go_template
from codefill.service.catalog import ModelListing, describe, list_models
from codefill.service.models import ModelDescription, ModelManager

__all__ = ["router"]

router = APIRouter()

_FOREVER = "9999-12-31T23:59:59Z"
# The Ollama release whose API codefill's Ollama dialect matches (/api/chat, suffix, the
# model fields of /api/show and /api/ps): clients that gate features on the version (Open
# WebUI, Continue) turn on what codefill serves. Older numbers turned them off.
OLLAMA_VERSION = "0.12.6"


@router.get("/")
@router.head("/", include_in_schema=False)
async def root() -> Response:
    return PlainTextResponse("Ollama is running", headers={"Server": f"codefill/{__version__}"})


@router.get("/api/version")
@router.head("/api/version", include_in_schema=False)
async def version() -> Response:
    """Ollama's version number, for clients that turn features on by it; codefill's own
    version beside it."""
    return json_line({"version": OLLAMA_VERSION, "codefill_version": __version__})


@router.get("/api/tags")
@router.head("/api/tags", include_in_schema=False)
async def tags(request: Request) -> Response:
    entries = list_models(request.app.state.manager)
    return json_line({"models": [_listing(entry) for entry in entries]})


@router.get("/api/ps")
async def ps(request: Request) -> Response:
    models = []
    for entry in list_models(request.app.state.manager, loaded_only=True):
        expires = entry.expires_at
        item = _listing(entry)
        item["expires_at"] = _iso(expires) if expires else _FOREVER
        item["size_vram"] = 0
        item["context_length"] = entry.context_length
        if entry.loaded is not None:  # codefill's own: the worker's state, pid, restarts
            item["codefill"] = engine_state(entry.loaded.engine)
        models.append(item)
    return json_line({"models": models})


@router.post("/api/show", openapi_extra=body_schema(ShowBody))
async def show(request: Request) -> Response:
    body = await read_model(request, ShowBody)
    manager: ModelManager = request.app.state.manager
    model = await manager.describe(body.target)  # read from the file: shown, not loaded
    entry = describe(model.config, None, _cache_dir(manager), model.info)
    template = as_go_template(model.template)
    parameters = _parameters(model)
    return json_line(
        {
            "modelfile": f'FROM {entry.name}\nTEMPLATE """{template}"""\n'
            + "".join(f"PARAMETER {line}\n" for line in parameters),
            "parameters": "\n".join(parameters),
            "template": template,
            "details": _details(entry),
            "model_info": _model_info(model) | _engine_notes(manager.engine_notes(model.name)),
            "capabilities": list(model.capabilities),
            "modified_at": _iso(entry.modified),
        }
    )


def json_line(body: dict[str, Any]) -> Response:
    return Response(dumps(body) + "\n", media_type="application/json")


def _listing(entry: ModelListing) -> dict[str, Any]:
    return {
        "name": entry.name,
        "model": entry.name,
        "modified_at": _iso(entry.modified),
        "size": entry.size,
        "digest": entry.digest,
        "details": _details(entry),
    }


def _details(entry: ModelListing) -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": entry.family,
        "families": [entry.family] if entry.family else None,
        "parameter_size": entry.parameter_size,
        "quantization_level": entry.quantization,
    }


def _parameters(model: ModelDescription) -> list[str]:
    lines = [f"num_ctx {model.info.context_length}"]
    lines.extend(f'stop "{stop}"' for stop in model.stops)
    return lines


def _model_info(model: ModelDescription) -> dict[str, Any]:
    info = model.info
    architecture = info.family or "unknown"
    return {
        "general.architecture": architecture,
        "general.name": info.metadata.get("general.name", model.config.name),
        f"{architecture}.context_length": info.context_length,
    }


def _engine_notes(notes: dict[str, str | bool]) -> dict[str, str | bool]:
    """The engine's choices, as ``codefill.*`` keys beside the file's own."""
    return {f"codefill.{key}": value for key, value in notes.items()}


def _cache_dir(manager: ModelManager) -> Path:
    return Path(manager.settings.cache_dir)


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
