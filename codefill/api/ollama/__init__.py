"""The Ollama dialect (``/api/*``): generation, models and pulls, one router for all three.

``schemas`` is the wire, ``encoder`` the answers, ``generate``, ``models`` and ``pull`` the
routes.
"""

from fastapi import APIRouter

from codefill.api.ollama import generate, models, pull

__all__ = ["router"]

router = APIRouter()
for _routes in (generate, models, pull):
    router.include_router(_routes.router)
