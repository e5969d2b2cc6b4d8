"""The hub's settings: the core's ``Settings`` plus what only the hub needs.
Read from the environment once, by ``python -m livechat`` (tests build their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from backend.settings import Settings


def _split(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


@dataclass(frozen=True)
class HubSettings:
    core: Settings = field(default_factory=lambda: Settings.from_env({}))
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa processes on shared tracker and lock stores (RASA_URLS, a
    # comma list; RASA_URL may be one too): conversations are spread over them
    # and move to another when one is down (livechat/rasa.py). () = rasa_url.
    rasa_urls: tuple[str, ...] = ()
    rasa_health_interval_s: float = 2.0
    rasa_token: str | None = None
    rasa_timeout_s: float = 15.0
    rasa_new_session: bool = True  # after close: resume the tracker and start a fresh bot session
    action_server_url: str | None = "http://127.0.0.1:5055"  # asked when Rasa replies with nothing
    # one action server per Rasa URL, in the same order (ACTION_SERVER_URLS); () = action_server_url for all
    action_server_urls: tuple[str, ...] = ()
    redis_url: str | None = None  # set: several hub processes share rooms (AsyncRedisManager)
    redis_channel: str = "fieldserv-hub"
    allowed_origins: tuple[str, ...] | str = ()  # () = the hub's own origin only; "*" = any
    hours: str = "always"  # e.g. "mon-sat 08:00-20:00" (in `timezone`), "always", "never"
    timezone: str = "Asia/Kolkata"
    assign_timeout_s: float = 60.0
    # hours and assign_timeout_s are defaults: the admin's stored desk
    # settings (backend/conversations/desk.py) win, re-read this often.
    desk_refresh_s: float = 5.0
    agent_seen_within_s: float = 30.0
    routing_tick_s: float = 1.0
    max_message_chars: int = 2000
    rate_burst: int = 20  # messages a socket may send at once ...
    rate_per_s: float = 2.0  # ... and per second after that
    mount_api: bool = True  # serve the backend HTTP API under /api in the same process
    mount_portal: bool = True  # serve the portal's pages (backend/web) under /portal
    kb_search: bool = True  # the console's knowledge-base search (when kb/ has an index)
    write_batch: int = 256
    # True: every stored batch is flushed to disk before delivery (SQLite
    # synchronous=FULL, as the core sets it). False: SQLite synchronous=NORMAL
    # / PostgreSQL synchronous_commit=off for the hub's own transactions — a
    # stored message still survives a hub crash or restart; only a power cut or
    # OS crash may lose the last moments. Measured in bench/results/hub_relay.md.
    message_fsync: bool = True
    # The worker's chat channel sends notices to POST /internal/notices with
    # this token (X-Hub-Token). None: HUB_INTERNAL_TOKEN, else the token kept
    # in var/hub-internal-token (made on first use; backend/delivery/chat.py).
    internal_token: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "HubSettings":
        env = dict(os.environ if env is None else env)
        d = cls()
        origins = env.get("HUB_ALLOWED_ORIGINS", "")
        return cls(
            core=Settings.from_env(env),
            host=env.get("HUB_HOST", d.host),
            port=int(env.get("HUB_PORT", d.port)),
            rasa_url=env.get("RASA_URL", d.rasa_url).rstrip("/"),
            rasa_urls=_split(env.get("RASA_URLS", "")),
            rasa_health_interval_s=float(env.get("RASA_HEALTH_INTERVAL", d.rasa_health_interval_s)),
            rasa_token=env.get("RASA_TOKEN") or None,
            rasa_timeout_s=float(env.get("RASA_TIMEOUT", d.rasa_timeout_s)),
            rasa_new_session=env.get("RASA_NEW_SESSION_ON_CLOSE", "1") != "0",
            action_server_url=(env.get("ACTION_SERVER_URL", d.action_server_url or "") or None),
            action_server_urls=_split(env.get("ACTION_SERVER_URLS", "")),
            redis_url=env.get("REDIS_URL") or None,
            redis_channel=env.get("HUB_REDIS_CHANNEL", d.redis_channel),
            allowed_origins="*" if origins.strip() == "*" else _split(origins),
            hours=env.get("HUB_HOURS", d.hours),
            timezone=env.get("HUB_TIMEZONE", d.timezone),
            assign_timeout_s=float(env.get("HUB_ASSIGN_TIMEOUT", d.assign_timeout_s)),
            desk_refresh_s=float(env.get("HUB_DESK_REFRESH", d.desk_refresh_s)),
            max_message_chars=int(env.get("HUB_MAX_MESSAGE_CHARS", d.max_message_chars)),
            rate_burst=int(env.get("HUB_RATE_BURST", d.rate_burst)),
            rate_per_s=float(env.get("HUB_RATE_PER_S", d.rate_per_s)),
            mount_api=env.get("HUB_MOUNT_API", "1") != "0",
            mount_portal=env.get("HUB_MOUNT_PORTAL", "1") != "0",
            kb_search=env.get("HUB_KB_SEARCH", "1") != "0",
            message_fsync=env.get("HUB_MESSAGE_FSYNC", "1") != "0",
            internal_token=env.get("HUB_INTERNAL_TOKEN") or None,
        )

    def rasa_processes(self) -> tuple[list[str], list[str | None]]:
        """The Rasa URLs and, for each, the action server behind it."""
        urls = [u.rstrip("/") for u in (self.rasa_urls or _split(self.rasa_url))]
        actions: list[str | None] = list(self.action_server_urls) or [self.action_server_url] * len(urls)
        if len(actions) != len(urls):
            raise ValueError(f"ACTION_SERVER_URLS names {len(actions)} action servers for {len(urls)} Rasa URLs")
        return urls, actions

    def origins(self) -> list[str] | str:
        if self.allowed_origins == "*":
            return "*"
        own = {f"http://{self.host}:{self.port}", f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        return sorted(own | set(self.allowed_origins))
