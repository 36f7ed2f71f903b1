"""The OpenAI dialect (``/v1/*``): ``schemas`` is the wire, ``encoder`` the answers,
``routes`` the routes."""

from codefill.api.openai.routes import router

__all__ = ["router"]
