"""The HTTP API: the one adapter package of the backend that imports aiohttp.

``create_app(settings)`` builds the application; ``python -m backend.api``
serves it. Routes live in ``routes/`` by business area, each declared once
with its OpenAPI description (see ``routing.py``).
"""

from backend.api.app import create_app

__all__ = ["create_app"]
