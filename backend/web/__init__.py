"""The portal: server-rendered pages for customers, technicians, agents,
managers and admins, on the service core (an HTTP adapter beside backend/api)."""

from backend.web.app import create_portal, create_standalone
from backend.web.kit import PortalConfig

__all__ = ["create_portal", "create_standalone", "PortalConfig"]
