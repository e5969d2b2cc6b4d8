"""The composition root of the hub: one aiohttp application with the
python-socketio server attached, the backend HTTP API mounted (same process,
same database), the widget, the demo website and the agent console."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import socketio
from aiohttp import web
from sqlalchemy import event

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.settings import Settings
from livechat.agent_ns import AgentNamespace
from livechat.customer_ns import CustomerNamespace
from livechat.desk import KbSearch
from livechat.drain import Drain
from backend.conversations.hours import BusinessHours
from livechat.hub import Hub
from livechat.notices import install as install_notices
from livechat.pages import HUB, STATIC, routes
from livechat.rasa import RasaClient
from livechat.settings import HubSettings

log = logging.getLogger("livechat")
SIO = web.AppKey("sio", socketio.AsyncServer)
DRAIN = web.AppKey("drain", Drain)
MAX_SOCKET_FRAME = 64 * 1024  # bytes; a message is at most max_message_chars anyway


def create_app(settings: HubSettings | Settings | None = None, *, uow: UnitOfWork | None = None) -> web.Application:
    if settings is None:
        settings = HubSettings.from_env()
    elif isinstance(settings, Settings):
        settings = HubSettings(core=settings)
    engine = None
    if uow is None:  # an engine connects lazily; it is disposed on cleanup
        engine = make_engine(settings.core.database_url)
        if not settings.message_fsync:
            event.listen(engine, "connect", _no_fsync_per_commit)
        uow = UnitOfWork(make_session_factory(engine))

    app = _base_app(settings, uow)
    manager = None
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(settings.redis_url, channel=settings.redis_channel)
    sio = socketio.AsyncServer(
        async_mode="aiohttp", client_manager=manager, cors_allowed_origins=settings.origins(),
        max_http_buffer_size=MAX_SOCKET_FRAME, ping_interval=10, ping_timeout=10, logger=False,
        engineio_logger=False,
    )
    sio.attach(app)
    rasa_urls, action_urls = settings.rasa_processes()
    rasa = RasaClient(rasa_urls, action_server_url=action_urls, token=settings.rasa_token,
                      timeout_s=settings.rasa_timeout_s, health_interval_s=settings.rasa_health_interval_s)
    hub = Hub(settings, uow, sio, rasa, BusinessHours.parse(settings.hours, settings.timezone))
    kb = KbSearch(kb_index_dir(settings)) if settings.kb_search else None
    drain = Drain(sio, hub)  # on SIGTERM/SIGINT: refuse new work, finish what is in flight, clients reconnect
    for namespace in (CustomerNamespace(hub), AgentNamespace(hub, kb)):
        drain.watch(namespace)
        sio.register_namespace(namespace)
    app.on_shutdown.append(drain.on_shutdown)
    app[HUB] = hub
    app[SIO] = sio
    app[DRAIN] = drain
    app.router.add_routes(routes)
    install_notices(app, settings)  # POST /internal/notices: the worker's chat push
    app.router.add_static("/static", STATIC, append_version=False)
    _mount_portal(app, settings, uow)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.stop()
        if engine is not None:
            engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app


def kb_index_dir(settings: HubSettings) -> Path:
    """Where kb/ keeps its index (the rule of ``kb.cli.index_dir``, without
    importing kb, which loads FAISS: the hub loads it on the first search)."""
    return Path(os.environ.get("KB_INDEX_DIR") or settings.core.var_dir / "kb")


def _mount_portal(app: web.Application, settings: HubSettings, uow: UnitOfWork) -> None:
    """The portal's pages (backend/web) under /portal, when they can be mounted;
    they embed this hub's widget for logged-in customers and technicians."""
    if not settings.mount_portal:
        return
    try:
        from backend.web import PortalConfig, create_portal
    except ImportError as exc:
        log.info("portal not mounted: %s", exc)
        return
    app.add_subapp("/portal", create_portal(settings.core, uow, config=PortalConfig(timezone=settings.timezone)))


def _no_fsync_per_commit(dbapi_conn, _record) -> None:
    """HUB_MESSAGE_FSYNC=0 (see HubSettings.message_fsync)."""
    cur = dbapi_conn.cursor()
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        cur.execute("PRAGMA synchronous=NORMAL")
    else:
        cur.execute("SET synchronous_commit TO off")
    cur.close()
    if not type(dbapi_conn).__module__.startswith("sqlite3") and not getattr(dbapi_conn, "autocommit", True):
        dbapi_conn.commit()


def _base_app(settings: HubSettings, uow: UnitOfWork) -> web.Application:
    """The backend API's own application when it can be mounted (its routes
    already carry their ``/api`` prefix, so the hub adds its routes to it),
    else a bare one."""
    if settings.mount_api:
        try:
            from backend.api import create_app as create_api
        except ImportError as exc:
            log.info("backend API not mounted: %s", exc)
        else:
            return create_api(settings.core, uow)
    return web.Application()
