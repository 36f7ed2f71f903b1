"""One exception tree for everything codefill refuses or fails to do.

    CodefillError                 status 500: a server-side failure
    ├── BadRequest                400: the request is malformed (``param`` names the field)
    │   └── ContextOverflow       400: the prompt cannot fit the model's context
    ├── Unauthorized              401: missing or wrong API key
    ├── NotFound                  404: no such route
    │   └── ModelNotFound         404: no model by that name
    ├── MethodNotAllowed          405: the route exists, the method does not
    ├── PayloadTooLarge           413: the request body is over the limit
    ├── Overloaded                503: the queue is full (``retry_after`` seconds)
    │   └── EngineUnavailable     503: the model's worker died; it is being restarted
    ├── ModelLoadError            500: a model file cannot be loaded
    ├── UpstreamError             502: a pull's hub failed or sent a file that does not check
    ├── InsufficientStorage       507: a pulled model does not fit the disk
    └── EngineError               500: the engine failed while generating

Each HTTP dialect maps these to its own body shape in one function; nothing below the
HTTP layer knows about status codes beyond the number carried here.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "CodefillError",
    "ConfigError",
    "ContextOverflow",
    "EngineError",
    "EngineUnavailable",
    "InsufficientStorage",
    "MethodNotAllowed",
    "ModelLoadError",
    "ModelNotFound",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "Unauthorized",
    "UpstreamError",
    "as_engine_error",
]


class CodefillError(Exception):
    """Root of the tree; ``status`` is the HTTP status a dialect should answer with,
    ``kind`` and ``code`` the error type and code OpenAI's dialect names it by."""

    status = 500
    kind = "api_error"
    code: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(CodefillError):
    status = 400
    kind = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ContextOverflow(BadRequest):
    pass


class Unauthorized(CodefillError):
    status = 401
    kind = "authentication_error"


class NotFound(CodefillError):
    status = 404
    kind = "invalid_request_error"  # what OpenAI answers for unknown models and URLs


class MethodNotAllowed(CodefillError):
    status = 405
    kind = "invalid_request_error"


class ModelNotFound(NotFound):
    code = "model_not_found"

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"model '{name}' not found" + (f"; {hint}" if hint else ""))
        self.name = name


class PayloadTooLarge(CodefillError):
    status = 413
    kind = "invalid_request_error"


class Overloaded(CodefillError):
    status = 503
    kind = "server_overloaded"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineUnavailable(Overloaded):
    """The model's worker process died under the request; a new one is starting."""

    kind = "engine_unavailable"


class ModelLoadError(CodefillError):
    kind = "model_load_error"


class EngineError(CodefillError):
    pass


class UpstreamError(CodefillError):
    """The hub a pull asked failed, or the file it sent does not hash as it said."""

    status = 502
    kind = "upstream_error"


class InsufficientStorage(CodefillError):
    """A pulled file does not fit the models folder's disk."""

    status = 507
    kind = "insufficient_storage"


class ConfigError(Exception):
    """The configuration is invalid; raised before the server starts, never over HTTP."""


def as_engine_error(error: Exception) -> CodefillError:
    """A codefill error as it is; anything else raised while generating as an EngineError."""
    if isinstance(error, CodefillError):
        return error
    return EngineError(f"generation failed: {error}")
