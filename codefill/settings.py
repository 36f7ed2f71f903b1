"""The one typed settings object, built at start-up from a TOML file, the environment and flags.

Precedence, lowest first: built-in defaults, the TOML file (``--config`` or
``CODEFILL_CONFIG``), ``CODEFILL_*`` environment variables, command-line flags. Nothing else
in codefill reads the environment; the server gets a :class:`Settings` and passes it down.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from codefill.builtin import BUILTIN_MODELS
from codefill.durations import parse_duration
from codefill.errors import ConfigError

__all__ = ["CpuShare", "ModelConfig", "Settings", "UpstreamConfig", "load_settings"]

OllamaFormat = Literal["seed", "native"]
CpuShare = Literal["budget", "gate", "split", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpstreamConfig(_Strict):
    """One replica of a remote model: an OpenAI-compatible server (vLLM, SGLang, llama.cpp)."""

    url: str = Field(min_length=1)
    api_key: str | None = None

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        """The server's base URL; a trailing ``/`` or ``/v1`` (as OpenAI clients write it) goes."""
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"upstream url must start with http:// or https://, got {value!r}")
        return value.rstrip("/").removesuffix("/v1").rstrip("/")


class ModelConfig(_Strict):
    """One ``[[models]]`` entry: a GGUF file (``path``), a built-in model (``builtin``), or a
    model served by remote replicas (``upstreams``)."""

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    path: str | None = None
    builtin: str | None = None
    upstreams: tuple[UpstreamConfig, ...] = ()
    upstream_model: str | None = None
    family: str | None = None
    template: str | None = None
    stop: tuple[str, ...] = ()
    context_length: int | None = Field(default=None, ge=64, le=1_048_576)
    timeout: float = Field(default=60.0, gt=0)
    health_interval: float = Field(default=5.0, gt=0, le=3600)  # seconds between upstream probes
    retries: int = Field(default=2, ge=0, le=16)  # other replicas to try before the first token
    postprocess: bool | None = None
    # lines the model may write past a post-processing cut and still end itself, its own end
    # then overruling the cut (0: cut at once); for models that end their middles well
    model_end_lines: int = Field(default=0, ge=0, le=16)
    token_healing: bool | None = None  # None: the server's setting
    memory: bool | None = None  # false: no session memory for this model

    @field_validator("builtin")
    @classmethod
    def _builtin_is_known(cls, value: str | None) -> str | None:
        if value is not None and value not in BUILTIN_MODELS:
            known = ", ".join(sorted(BUILTIN_MODELS))
            raise ValueError(f"unknown built-in model '{value}'; built-ins are {known}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ModelConfig:
        sources = [self.path is not None, self.builtin is not None, bool(self.upstreams)]
        if sum(sources) != 1:
            raise ValueError("give exactly one of 'path' (a GGUF file), 'builtin' or 'upstreams'")
        return self

    @property
    def is_remote(self) -> bool:
        return bool(self.upstreams)


class Settings(_Strict):
    """Server settings; every field can come from the TOML file's top level."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    threads: int | None = Field(default=None, ge=1, le=1024)
    ollama_format: OllamaFormat = "seed"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    cache_dir: str = Field(default_factory=lambda: _default_cache_dir(os.environ))
    # `codefill pull` and /api/pull (docs/pull.md): where pulled GGUFs go ("": cache_dir/models)
    # and the Hugging Face Hub they come from (HF_ENDPOINT, as huggingface_hub reads it)
    models_dir: str = ""
    hub_endpoint: str = Field(default_factory=lambda: _default_hub(os.environ))
    default_max_tokens: int = Field(default=256, ge=1)
    # the engine's scheduler
    slots: int = Field(default=4, ge=1, le=64)  # concurrent requests per model
    max_queue: int = Field(default=64, ge=0)  # requests waiting for a slot; more get 503
    prefill_chunk: int = Field(default=64, ge=1, le=512)  # prompt tokens per step beside others
    # prompt tokens per step when nothing else is generating: a step cannot be interrupted, so
    # this bounds how long an abort or a newer request waits; bigger steps gain little (on two
    # cores, 128-token steps ran at 88% of the prompt speed of 512-token ones)
    prefill_chunk_alone: int = Field(default=128, ge=1, le=512)
    reuse_min_chunk: int = Field(default=32, ge=0)  # shortest moved KV chunk worth a shift; 0: off
    # A moved chunk's KV was computed beside the old text before it; after this many changed
    # tokens in front of it the chunk is computed again, so answers do not drift.
    reuse_max_drift: int = Field(default=256, ge=0)
    reuse_margin: int = Field(default=16, ge=0)  # tokens at a moved chunk's front recomputed
    # tokens idle slots keep cached, all together: llama.cpp's attention scans every used
    # cell of the shared cache on every decode, so idle caches slow everyone (9,000 idle
    # cells: +16% a generated token, +44% prompt time); past this the least recently used
    # idle slots forget theirs
    idle_cache_tokens: int = Field(default=2048, ge=0)
    # speculative decoding with drafts looked up in the context (engine/drafts.py); off by
    # default: on two cores a draft's rows cost nearly a decode each, and it did not pay
    # (docs/keystroke-latency.md)
    speculative: bool = False
    draft_max: int = Field(default=32, ge=1, le=128)  # the longest draft
    draft_min: int = Field(default=2, ge=1, le=128)  # a shorter draft is not worth its rows
    # after this many drafted tokens, a job whose drafts were mostly refused stops drafting
    draft_patience: int = Field(default=16, ge=1)
    # a greedy choice taken from a draft's batch must lead the runner-up by this much (see
    # Scheduler._verify); closer calls are decoded again alone
    draft_margin: float = Field(default=1.0, ge=0)
    draft_ngram: int = Field(default=3, ge=1, le=16)  # context tokens a lookup matches
    draft_history: int = Field(default=8, ge=0, le=256)  # a session's completions kept
    draft_sessions: int = Field(default=64, ge=1)  # sessions whose completions are kept
    # the engine's worker processes (docs/engine-process.md): one per loaded local model
    worker_processes: bool = True  # false: the engine runs inside the server (no isolation)
    worker_heartbeat_seconds: float = Field(default=0.5, gt=0, le=60)
    # a stream's text after its first piece crosses from the worker at most this often
    # (each crossing wakes server threads, which take the cores from the decode); 0: each token
    worker_flush_seconds: float = Field(default=0.05, ge=0, le=1)
    # a worker silent this long (stopped, wedged) is killed and restarted
    worker_watchdog_seconds: float = Field(default=15.0, gt=0)
    worker_restart_max_seconds: float = Field(default=30.0, gt=0)  # the backoff's ceiling
    # how workers share the cores (engine/cores.py): the threads divided among the workers
    # decoding now ("budget"), one decode at a time ("gate"), a fixed share each ("split"),
    # or all threads each ("none")
    cpu_share: CpuShare = "budget"
    # llama.cpp's extra (repacked, AMX) weight buffers: "auto" turns them off on CPUs with
    # AMX, whose kernels crash (engine/cpu.py), and after a worker crashed before its first
    # decode finished; "on" and "off" force the choice
    extra_buffer_types: Literal["auto", "on", "off"] = "auto"
    cpuinfo_path: str = "/proc/cpuinfo"  # where "auto" reads the CPU's flags
    worker_fault: str | None = None  # a test hook that makes workers crash (engine/worker.py)
    keep_alive: float | str = -1
    max_loaded_models: int = Field(default=3, ge=1)
    supersede: bool = True
    # a completion request for the place the same client asked about a moment ago is held
    # for 1.5x that gap, at most this long, so that the next key aborts it before it costs
    # the engine a step (service/typing.py); 0: never held
    typing_hold_ms: int = Field(default=250, ge=0, le=5000)
    # trim a long prefix's first and a long suffix's last partial line (prompt/windows.py),
    # so that a client's sliding window of characters keeps the KV cache's prefix
    whole_line_windows: bool = True
    typeahead: bool = True
    postprocess: bool = True
    token_healing: bool = True  # completions only; chat never heals (docs/token-healing.md)
    # repository context (docs/repository-context.md): session memory and the token budget
    memory: bool = True
    memory_by_address: bool = True  # without X-Codefill-Session: address + User-Agent
    memory_sessions: int = Field(default=64, ge=1)
    memory_session_chars: int = Field(default=256 * 1024, ge=1024)
    memory_ttl_seconds: float = Field(default=3600.0, gt=0)
    memory_chunk_lines: int = Field(default=24, ge=8, le=400)
    context_tokens: int = Field(default=1024, ge=0)
    # limits: every one is refused with a 4xx in the endpoint's dialect
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=64, ge=2)
    max_string_chars: int = Field(default=1024 * 1024, ge=1024)  # any one string
    max_context_snippets: int = Field(default=64, ge=0)  # input_extra items per request
    max_tokens_limit: int = Field(default=4096, ge=1)
    max_generation_seconds: float = Field(default=120.0, gt=0)
    # access
    api_keys: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    access_log: bool = True
    # acceptance telemetry (docs/telemetry.md): completions remembered for events about them
    telemetry_capacity: int = Field(default=10_000, ge=1)
    telemetry_ttl_seconds: float = Field(default=3600.0, gt=0)
    # prompts, completions and events as JSON lines, only when a file is named here
    telemetry_text_file: str = ""
    telemetry_text_max_bytes: int = Field(default=64 * 1024 * 1024, ge=4096)
    models: tuple[ModelConfig, ...] = ()

    @field_validator("api_keys")
    @classmethod
    def _keys_are_not_blank(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if any(not key.strip() for key in keys):
            raise ValueError("an API key may not be empty")  # the key itself is never echoed
        return keys

    @field_validator("keep_alive")
    @classmethod
    def _keep_alive_is_a_duration(cls, value: float | str) -> float | str:
        parse_duration(value)
        return value

    @property
    def keep_alive_seconds(self) -> float:
        """How long an idle model stays loaded; negative means until evicted."""
        return parse_duration(self.keep_alive)

    @field_validator("models")
    @classmethod
    def _names_are_unique(cls, models: tuple[ModelConfig, ...]) -> tuple[ModelConfig, ...]:
        seen: set[str] = set()
        for model in models:
            for name in (model.name, *model.aliases):
                if name in seen:
                    raise ValueError(f"model name '{name}' is used twice")
                seen.add(name)
        return models

    @field_validator("hub_endpoint")
    @classmethod
    def _hub_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"hub_endpoint must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @property
    def models_path(self) -> str:
        """The folder of pulled models."""
        return self.models_dir or os.path.join(self.cache_dir, "models")

    @property
    def thread_count(self) -> int:
        """Threads for prompt and generation: every core unless configured."""
        return self.threads or os.cpu_count() or 1


def _default_hub(environ: Mapping[str, str]) -> str:
    return environ.get("HF_ENDPOINT") or "https://huggingface.co"


def _default_cache_dir(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "codefill")


_ENV_KEYS: dict[str, type] = {
    "host": str,
    "port": int,
    "threads": int,
    "ollama_format": str,
    "log_level": str,
    "cache_dir": str,
    "models_dir": str,
    "hub_endpoint": str,
    "slots": int,
    "api_keys": str,
}


def load_settings(
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings; raises :class:`ConfigError` naming the bad key and why."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get("CODEFILL_CONFIG") or None
    data: dict[str, Any] = {}
    source = "settings"
    if config_file:
        source = config_file
        data = _read_toml(Path(config_file))
    data.update(_from_environment(environ))
    data.update({key: value for key, value in (overrides or {}).items() if value is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(source, error)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the configuration file does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the configuration file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    base = path.resolve().parent
    for model in data.get("models", []) if isinstance(data.get("models"), list) else []:
        if isinstance(model, dict) and isinstance(model.get("path"), str):
            model["path"] = str((base / Path(model["path"]).expanduser()).resolve())
    return data


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, kind in _ENV_KEYS.items():
        raw = environ.get("CODEFILL_" + key.upper())
        if raw is None or raw == "":
            continue
        try:
            values[key] = _split(raw) if key == "api_keys" else kind(raw)
        except ValueError:
            raise ConfigError(
                f"CODEFILL_{key.upper()}: expected {kind.__name__}, got {raw!r}"
            ) from None
    return values


def _split(raw: str) -> tuple[str, ...]:
    """``CODEFILL_API_KEYS=key1,key2``: several keys, comma-separated."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _describe(source: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]
        ).lstrip(".")
        reason = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        reason = reason.removeprefix("Value error, ")
        lines.append(f"{source}: {location or 'top level'}: {reason}")
    return "\n".join(lines)
