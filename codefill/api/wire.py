"""Shared wire helpers: strict request parsing into pydantic models, compact JSON out.

Request bodies are parsed here rather than by FastAPI so that every failure becomes a
:class:`BadRequest` that each dialect renders in its own shape (never FastAPI's 422), and so
that clients which send JSON without a JSON content type (``curl -d``) still work.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from starlette.requests import Request

from codefill.errors import BadRequest, PayloadTooLarge
from codefill.service.requests import Client

__all__ = [
    "Int",
    "WireModel",
    "body_schema",
    "client_of",
    "dumps",
    "parse_model",
    "read_json",
    "read_model",
]

M = TypeVar("M", bound=BaseModel)


def _integral(value: Any) -> Any:
    """Accept ``128.0`` for an integer field, as Ollama does; ``128.5`` still fails."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Int = Annotated[int, BeforeValidator(_integral)]


class WireModel(BaseModel):
    """Base of request schemas: strict types, unknown fields accepted and ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


def dumps(value: Any) -> str:
    """Compact JSON, the way line-oriented clients (llama.vim, Continue) want it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def read_model(request: Request, schema: type[M], max_bytes: int | None = None) -> M:
    """Read the body as JSON (whatever the content type) and validate it against ``schema``."""
    return parse_model(await read_json(request, max_bytes), schema)


async def read_json(request: Request, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object, checked for depth and string length; ``max_bytes`` is a
    tighter limit than the server's body limit, for routes whose bodies are always small."""
    body = await request.body()
    if max_bytes is not None and len(body) > max_bytes:
        raise PayloadTooLarge(f"the request body is over this route's limit of {max_bytes} bytes")
    if not body.strip():
        raise BadRequest("missing request body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the request body is not valid UTF-8 (byte {error.start})") from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise BadRequest("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    settings = request.app.state.settings
    _check_shape(data, settings.max_json_depth, settings.max_string_chars)
    return data


def parse_model(data: dict[str, Any], schema: type[M]) -> M:
    """Validate a body read by :func:`read_json`; a failure is a :class:`BadRequest`."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise _bad_request(error) from None


def client_of(request: Request) -> Client:
    """Who is asking, for supersession and replica affinity."""
    address = request.client.host if request.client else ""
    return Client(
        address=address,
        user_agent=request.headers.get("user-agent", ""),
        session=request.headers.get("x-codefill-session") or None,
    )


def _no_constants(name: str) -> Any:
    """JSON has no NaN or Infinity; Python's parser would accept them."""
    raise BadRequest(f"invalid JSON: {name} is not a JSON number")


def _check_shape(data: dict[str, Any], max_depth: int, max_chars: int) -> None:
    """Refuse bodies nested deeper than ``max_depth`` or holding a string (a prompt, a chat
    message) longer than ``max_chars``, walking without recursion."""
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending:
        value, path = pending.pop()
        if len(path) >= max_depth:
            raise BadRequest(f"the request body is nested more than {max_depth} levels deep")
        if isinstance(value, dict):
            pending.extend((child, (*path, str(key))) for key, child in value.items())
        elif isinstance(value, list):
            pending.extend((child, (*path, str(index))) for index, child in enumerate(value))
        elif isinstance(value, str) and len(value) > max_chars:
            where = ".".join(path)
            raise BadRequest(
                f"'{where}' is {len(value)} characters long; this server takes at most "
                f"{max_chars} (max_string_chars)",
                param=where,
            )


def _bad_request(error: ValidationError) -> BadRequest:
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"])
    if first["type"] == "missing":
        return BadRequest(f"missing required field '{location}'", param=location)
    message = first["msg"]
    if first["type"] == "json_invalid":
        return BadRequest(f"invalid JSON: {message}")
    return BadRequest(f"invalid value for '{location}': {message}", param=location or None)


def body_schema(*schemas: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that :func:`read_model` parses itself.

    Routes read their bodies by hand (see the module docstring), so FastAPI cannot see the
    schema; this puts it into the OpenAPI document, with ``$defs`` inlined, for clients and
    for the schema-driven fuzz tests. Several schemas (one path, two dialects) become
    ``anyOf``.
    """
    documents = [_inlined(schema.model_json_schema()) for schema in schemas]
    document = documents[0] if len(documents) == 1 else {"anyOf": documents}
    content = {"application/json": {"schema": document}}
    return {"requestBody": {"required": True, "content": content}}


def _inlined(document: dict[str, Any]) -> Any:
    definitions = document.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(document)
