"""Serving logic between the HTTP dialects and the engines: models, prompts, streams."""
