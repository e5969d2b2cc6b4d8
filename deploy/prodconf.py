"""The production profile's configuration, rendered from the environment.

``python deploy/prodconf.py`` (what ``make run-prod`` runs first) reads every
address and setting below from the environment (one-machine defaults), makes
the PostgreSQL databases if they are missing and checks that Redis answers,
and writes into ``$PROD_DIR`` (``var/prod``):

- ``Procfile``            deploy/Procfile.prod with the addresses filled in
                          (scripts/devrun.py runs it; ``--only`` picks parts)
- ``nginx/nginx.conf``    deploy/nginx.conf.template, the same way
- ``endpoints-rasaN.yml`` one Rasa endpoints file per Rasa process: its own
                          action server, the shared SQL tracker store and
                          the shared Redis lock store (Rasa 3.6 cannot give a
                          ${VAR} a default, and its lock store takes a host,
                          port and db rather than a URL, hence generated files)
- ``env.sh``              what every process reads (sourced by each Procfile line;
                          mode 0600: it holds the secret key)

Settings (environment; default):

| name | default | what |
|---|---|---|
| DATABASE_URL | postgresql+psycopg://postgres@127.0.0.1:5432/fieldserv | the core's database (API, hubs, action servers, worker, KB watcher) |
| RASA_TRACKER_URL | postgresql://postgres@127.0.0.1:5432/fieldserv_rasa | Rasa's tracker store, shared by every Rasa process (psycopg2) |
| REDIS_URL | redis://127.0.0.1:6379/2 | hub rooms across workers, the task queue, the identity-check miss count |
| RASA_LOCK_STORE_URL | redis://127.0.0.1:6379/3 | Rasa's lock store (one lock per conversation across Rasa processes) |
| TICKET_LOCK_LIFETIME | 10 | seconds a Rasa turn may hold its conversation's lock; a process killed mid-turn delays that conversation's next turn at most this long |
| PUBLIC_LISTEN | 127.0.0.1:8080 | where nginx listens (``0.0.0.0:80`` on a server) |
| PUBLIC_URL | http://127.0.0.1:8080 | the address people use (allowed origin of the hubs, links in mail) |
| HUB_LISTEN | 127.0.0.1:8081,127.0.0.1:8082 | the hub workers this machine runs (hub1, hub2) |
| HUB_UPSTREAMS | = HUB_LISTEN | the hub workers nginx spreads over (other machines' too) |
| HUB_BALANCE | hash $binary_remote_addr$arg_sticky consistent | nginx's sticky rule (Socket.IO long-polling needs every request of a session on one worker): a client address keeps to one worker, and a client that adds ``?sticky=<id>`` to its Socket.IO URL (a load test from one machine) to the worker of that id; behind another proxy: ``hash $http_x_forwarded_for$arg_sticky consistent`` |
| RASA_URLS | http://127.0.0.1:5005,http://127.0.0.1:5006 | the Rasa processes the hubs spread conversations over; this machine runs rasa1, rasa2 on them |
| ACTION_SERVER_URLS | http://127.0.0.1:5055,http://127.0.0.1:5056 | the action server behind each Rasa, in the same order (beside its Rasa: it binds 127.0.0.1) |
| RASA_TF_THREADS | 1 | TensorFlow's intra-op threads (and OMP_NUM_THREADS) in each Rasa process; inter-op is 1 (bench/results/turn_profile.md) |
| RASA_BIND | 127.0.0.1 | the interface Rasa listens on (0.0.0.0 when the hubs are elsewhere) |
| API_LISTEN | 127.0.0.1:8000 | the HTTP API alone (scripts) |
| WORKER_HEALTH_PORT | 8091 | the queue worker's /health |
| SMTP_URL | smtp://127.0.0.1:8025 | the mail relay (default: the development mail server, ``mail``) |
| SECRET_KEY | kept in $PROD_DIR/secret-key | signs sessions and tokens; the same on every machine |
| ACTION_SERVER_TOKEN | kept in $VAR_DIR/action-server-token | Rasa → action server; the same on every machine |

Standard library only, apart from the optional database and Redis checks
(``--no-check`` skips them), which use .venv's psycopg and redis.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "deploy"

DEFAULTS = {
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/fieldserv",
    "RASA_TRACKER_URL": "postgresql://postgres@127.0.0.1:5432/fieldserv_rasa",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
    "RASA_LOCK_STORE_URL": "redis://127.0.0.1:6379/3",
    "TICKET_LOCK_LIFETIME": "10",
    "PUBLIC_LISTEN": "127.0.0.1:8080",
    "PUBLIC_URL": "http://127.0.0.1:8080",
    "HUB_LISTEN": "127.0.0.1:8081,127.0.0.1:8082",
    "HUB_BALANCE": "hash $binary_remote_addr$arg_sticky consistent",
    "RASA_URLS": "http://127.0.0.1:5005,http://127.0.0.1:5006",
    "ACTION_SERVER_URLS": "http://127.0.0.1:5055,http://127.0.0.1:5056",
    "RASA_BIND": "127.0.0.1",
    "API_LISTEN": "127.0.0.1:8000",
    "WORKER_HEALTH_PORT": "8091",
    "SMTP_URL": "smtp://127.0.0.1:8025",
    "NGINX": "/usr/sbin/nginx",
    "RASA_TF_THREADS": "1",
}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def split(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def host_port(address: str) -> tuple[str, int]:
    parts = urlsplit(address if "//" in address else f"//{address}")
    if not parts.hostname or not parts.port:
        raise ConfigError(f"{address!r} is not host:port")
    return parts.hostname, parts.port


def resolve(env: dict[str, str], prod_dir: Path) -> dict[str, str]:
    """Every setting, from ``env`` or its default, plus the derived values
    the templates use (``HUB1_HOST``, ``RASA2_PORT`` …)."""
    s = {k: env.get(k) or v for k, v in DEFAULTS.items()}
    s.setdefault("HUB_UPSTREAMS", env.get("HUB_UPSTREAMS") or s["HUB_LISTEN"])
    s["ROOT"], s["PROD_DIR"], s["NGINX_DIR"] = str(ROOT), str(prod_dir), str(prod_dir / "nginx")
    s["VAR_DIR"] = env.get("VAR_DIR") or str(ROOT / "var")
    hubs, rasas, actions = split(s["HUB_LISTEN"]), split(s["RASA_URLS"]), split(s["ACTION_SERVER_URLS"])
    if len(hubs) != 2 or len(rasas) != 2 or len(actions) != 2:
        raise ConfigError("the profile runs two hub workers, two Rasa processes and two action servers: "
                          "HUB_LISTEN, RASA_URLS and ACTION_SERVER_URLS name two each")
    for i, (hub, rasa, action) in enumerate(zip(hubs, rasas, actions), start=1):
        s[f"HUB{i}_HOST"], port = host_port(hub)
        s[f"HUB{i}_PORT"] = str(port)
        _, port = host_port(rasa)
        s[f"RASA{i}_PORT"] = str(port)
        _, port = host_port(action)
        s[f"ACTIONS{i}_PORT"] = str(port)
    s["API_HOST"], port = host_port(s["API_LISTEN"])
    s["API_PORT"] = str(port)
    s["HUB_SERVERS"] = "\n".join(f"        server {u} max_fails=1 fail_timeout=3s;"
                                 for u in split(s["HUB_UPSTREAMS"]))
    s["HUB_BALANCE"] = s["HUB_BALANCE"].rstrip(";")
    s["SECRET_KEY"] = env.get("SECRET_KEY") or _kept_secret(prod_dir / "secret-key")
    for i in (1, 2):  # the address a local health check uses
        host = s[f"HUB{i}_HOST"]
        s[f"HUB{i}_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{s[f'HUB{i}_PORT']}"
    return s


def _kept_secret(path: Path) -> str:
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def render(template: str, values: dict[str, str]) -> str:
    """``${NAME}`` → its value; an unknown name is an error (nginx's own
    ``$variables`` have no braces in the templates)."""
    def one(match: re.Match) -> str:
        name = match[1]
        if name not in values:
            raise ConfigError(f"the template uses ${{{name}}}, which is not a setting")
        return values[name]
    return PLACEHOLDER.sub(one, template)


def redis_parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(f"{url!r} is not a redis://host:port/db URL")
    db = (parts.path or "/0").lstrip("/") or "0"
    if not db.isdigit():
        raise ConfigError(f"{url!r}: the Redis database must be a number")
    return {"host": parts.hostname, "port": str(parts.port or 6379), "db": db,
            "password": parts.password or "", "ssl": "true" if parts.scheme == "rediss" else "false"}


def shared_stores_yaml(tracker_url: str, lock_url: str, key_prefix: str = "fieldserv") -> str:
    """The tracker and lock stores of a Rasa endpoints file, shared by every
    Rasa process: Rasa's SQL tracker store and ``RedisLockStore``."""
    r = redis_parts(lock_url)
    password = f"  password: \"{r['password']}\"\n" if r["password"] else ""
    return (
        "tracker_store:\n"
        "  type: SQL\n"
        f"  url: \"{tracker_url}\"\n"
        "lock_store:\n"
        "  type: redis\n"
        f"  url: \"{r['host']}\"\n"
        f"  port: {r['port']}\n"
        f"  db: {r['db']}\n"
        f"{password}"
        f"  use_ssl: {r['ssl']}\n"
        f"  key_prefix: \"{key_prefix}\"\n"
    )


def rasa_endpoints(action_url: str, tracker_url: str, lock_url: str) -> str:
    return ("# generated by deploy/prodconf.py from the environment; do not edit\n"
            "action_endpoint:\n"
            f"  url: \"{action_url.rstrip('/')}/webhook\"\n"
            "  token: ${ACTION_SERVER_TOKEN}\n"
            + shared_stores_yaml(tracker_url, lock_url))


RUNTIME = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_URL", "RASA_URLS", "ACTION_SERVER_URLS",
           "TICKET_LOCK_LIFETIME")


def env_script(s: dict[str, str]) -> str:
    """What every process of the profile reads (sourced by each Procfile line)."""
    values = {k: s[k] for k in RUNTIME}
    values.update(HUB_ALLOWED_ORIGINS=s["PUBLIC_URL"], KB_ARTICLE_URL=s["PUBLIC_URL"].rstrip("/") + "/portal/kb/{slug}",
                  RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", FIELDSERV_PROFILE="prod")
    return ("# generated by deploy/prodconf.py; sourced by each line of the Procfile next to it\n"
            + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items()))


def write(prod_dir: Path, s: dict[str, str]) -> list[Path]:
    (prod_dir / "nginx" / "tmp").mkdir(parents=True, exist_ok=True)
    out = {
        prod_dir / "Procfile": render((HERE / "Procfile.prod").read_text(), s),
        prod_dir / "nginx" / "nginx.conf": render((HERE / "nginx.conf.template").read_text(), s),
        prod_dir / "env.sh": env_script(s),
    }
    for i, action in enumerate(split(s["ACTION_SERVER_URLS"]), start=1):
        out[prod_dir / f"endpoints-rasa{i}.yml"] = rasa_endpoints(action, s["RASA_TRACKER_URL"],
                                                                  s["RASA_LOCK_STORE_URL"])
    for path, text in out.items():
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # env.sh holds the secret key
        with os.fdopen(fd, "w") as f:
            f.write(text)
        tmp.replace(path)
    return list(out)


def check_services(s: dict[str, str]) -> None:
    """Make the two PostgreSQL databases if missing; check that both Redis URLs answer."""
    import psycopg
    import redis

    for url in (s["DATABASE_URL"], s["RASA_TRACKER_URL"]):
        parts = urlsplit(url.replace("+psycopg", "").replace("+psycopg2", ""))
        if not parts.scheme.startswith("postgresql"):
            continue
        name = parts.path.lstrip("/")
        admin = parts._replace(path="/postgres").geturl()
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                    conn.execute(f'CREATE DATABASE "{name}"')
                    print(f"==> prod: created the PostgreSQL database {name}", flush=True)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} does not answer ({exc}); "
                              "start it (Debian: apt-get install -y postgresql && service postgresql start)")
    for url in (s["REDIS_URL"], s["RASA_LOCK_STORE_URL"]):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            raise ConfigError(f"Redis at {url} does not answer ({exc}); start it "
                              "(Debian: apt-get install -y redis-server && service redis-server start)")


def check_nginx(s: dict[str, str]) -> None:
    conf = Path(s["NGINX_DIR"]) / "nginx.conf"
    if not Path(s["NGINX"]).is_file():
        raise ConfigError(f"no nginx at {s['NGINX']}: install Debian's (apt-get install -y nginx; "
                          "`make run-prod` does it when run as root) or set NGINX")
    result = subprocess.run([s["NGINX"], "-t", "-q", "-p", s["NGINX_DIR"], "-c", str(conf)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ConfigError(f"nginx refuses {conf}:\n{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prod-dir", type=Path, default=Path(os.environ.get("PROD_DIR") or ROOT / "var" / "prod"))
    parser.add_argument("--no-check", action="store_true", help="do not touch PostgreSQL, Redis or nginx")
    args = parser.parse_args(argv)
    prod_dir = args.prod_dir.resolve()
    try:
        s = resolve(dict(os.environ), prod_dir)
        written = write(prod_dir, s)
        if not args.no_check:
            check_services(s)
            check_nginx(s)
    except ConfigError as exc:
        print(f"prodconf: {exc}", file=sys.stderr)
        return 2
    print(f"==> prod: wrote {', '.join(str(p.relative_to(prod_dir)) for p in written)} in {prod_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
