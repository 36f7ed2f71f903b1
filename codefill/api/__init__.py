"""The HTTP layer: a folder per dialect (``ollama/``, ``openai/``, ``llamacpp/``,
``tabby/``), each with its wire schemas, its encoder and its routes; beside them the routes
and helpers that every dialect shares."""
