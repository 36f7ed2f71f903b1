"""Which model names exist: the built-in entries, replaced or extended by the configuration."""

from __future__ import annotations

from codefill.builtin import QWEN_CODER, SMOLLM2, builtin_available
from codefill.errors import ModelNotFound
from codefill.settings import ModelConfig, Settings

__all__ = ["ModelRegistry"]

# The seed API document's chat example asks for "gpt-3.5-turbo"; it names the default model
# so that the example works as written.
_DEFAULT = ModelConfig(name="default", builtin=SMOLLM2, aliases=("smollm2", "gpt-3.5-turbo"))
_CODER = ModelConfig(name=QWEN_CODER, builtin=QWEN_CODER, aliases=("qwen2.5-coder:0.5b",))


class ModelRegistry:
    """Resolves request model names (and aliases, with an optional ``:latest``) to configs."""

    def __init__(self, settings: Settings) -> None:
        configured = {model.name: model for model in settings.models}
        entries: dict[str, ModelConfig] = {}
        for builtin in (_DEFAULT, _CODER):
            if builtin.name not in configured and builtin_available(builtin.builtin or ""):
                entries[builtin.name] = builtin
        entries.update(configured)
        if "default" not in entries:
            entries["default"] = _DEFAULT
        self._entries = entries
        self._names: dict[str, str] = {}
        for model in [*configured.values(), *entries.values()]:  # configured names win
            for name in (model.name, *model.aliases):
                self._names.setdefault(name, model.name)

    def resolve(self, name: str) -> ModelConfig:
        for candidate in (name, name.removesuffix(":latest")):
            canonical = self._names.get(candidate)
            if canonical is not None:
                return self._entries[canonical]
        raise ModelNotFound(name)

    def all(self) -> list[ModelConfig]:
        return list(self._entries.values())
