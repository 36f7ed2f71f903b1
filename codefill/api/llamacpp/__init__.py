"""The llama.cpp server dialect (``/infill``): ``schemas`` is the wire, ``encoder`` the
answers, ``routes`` the route."""

from codefill.api.llamacpp.routes import router

__all__ = ["router"]
