"""The portal as an installable app: its web app manifest, its service worker
(served from the portal's root so that it may control every portal page)
and the page shown for a page that was never saved on the phone while
there is no signal.

The service worker's source is ``static/sw.js``; this view fills in the
URLs of the app shell (the static files with their version, the offline
page) and a version derived from them, so that a new deployment installs a
new worker and drops the old caches."""

from __future__ import annotations

import hashlib
import json

from aiohttp import web

from backend.web.app import STATIC
from backend.web.kit import CONFIG, render, url

routes = web.RouteTableDef()
SHELL = ("portal.css", "portal.js", "tech-app.js", "icons/icon-192.png")
THEME = "#0b6e4f"
BACKGROUND = "#f5f7f8"


def _static(request: web.Request, name: str) -> str:
    return url(request, "static", filename=name)


@routes.get("/manifest.webmanifest", name="manifest")
async def manifest(request: web.Request) -> web.Response:
    home = url(request, "home")
    icons = [{"src": _static(request, f"icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png",
              "purpose": "any"} for n in (192, 512)]
    icons.append({"src": _static(request, "icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
                  "purpose": "maskable"})
    body = {
        "id": home,
        "name": "fieldserv",
        "short_name": "fieldserv",
        "description": "Jobs, visits, photos and signatures for technicians; the desk and the dashboard for "
                       "agents and managers. Works without a signal.",
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": icons,
        "shortcuts": [
            {"name": "My jobs", "short_name": "Jobs", "url": url(request, "t_home")},
            {"name": "Intake and tickets", "short_name": "Desk", "url": url(request, "a_home")},
            {"name": "Dashboard", "short_name": "Dashboard", "url": url(request, "m_home")},
        ],
    }
    return web.Response(text=json.dumps(body, indent=1), content_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})


@routes.get("/sw.js", name="service_worker")
async def service_worker(request: web.Request) -> web.Response:
    shell = [_static(request, name) for name in SHELL] + [url(request, "offline")]
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    version = hashlib.sha256((json.dumps(shell) + source).encode()).hexdigest()[:12]
    config = {"version": version, "shell": shell, "scope": url(request, "home"), "offline": url(request, "offline"),
              "login": url(request, "login")}
    text = source.replace("/*CONFIG*/{}", json.dumps(config))
    return web.Response(text=text, content_type="application/javascript", charset="utf-8", headers={
        "Cache-Control": "no-cache", "Service-Worker-Allowed": url(request, "home")})


@routes.get("/offline", name="offline")
async def offline(request: web.Request) -> web.Response:
    """The page the service worker shows for a page it has not kept (cached with the app shell)."""
    return render(request, "offline.html", console_url=request.app[CONFIG].console_url)
