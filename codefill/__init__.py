"""codefill: a self-hosted code-completion server (Ollama and OpenAI APIs on llama.cpp)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
