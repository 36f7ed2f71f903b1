"""The Tabby dialect (``/v1/health``, ``/v1/completions``, ``/v1/events``): ``schemas`` is
the wire, ``encoder`` the answers, ``routes`` the routes."""

from codefill.api.tabby.routes import router

__all__ = ["router"]
