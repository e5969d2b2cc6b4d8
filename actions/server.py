"""The action server as ``make run`` starts it: ``python -m actions.server``.

rasa-sdk's own Sanic application (``rasa_sdk.endpoint.create_app_for_serve``,
the same routes, plugins and worker model as ``python -m rasa_sdk``) with two
differences:

- it binds to ``127.0.0.1`` unless told otherwise (``--interface``, or
  ``ACTION_SERVER_HOST``; rasa-sdk alone binds every interface, 0.0.0.0);
- every route but ``/health`` (which ``make run`` polls) needs the shared
  token: ``?token=…`` (what Rasa sends for ``token:`` under
  ``action_endpoint`` in ``endpoints.yml``) or ``Authorization: Bearer …``.
  A call without it, or with another one, is answered ``401`` before any
  action runs, and logged in one line.

The token is ``ACTION_SERVER_TOKEN``; without it, both this server and the
Procfile's ``rasa`` line (``python -m actions.server --print-token``) use the
one generated on first use in ``$VAR_DIR/action-server-token`` (mode 0600),
so ``make run`` needs no setting.

Every option of ``python -m rasa_sdk`` is accepted (``--actions``, ``-p``,
``--cors``, ``--ssl-*``, ``--auto-reload``, ``--endpoints``), plus
``-i/--interface`` and ``--print-token``. gRPC (``--grpc``) is not offered.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from backend.local_secrets import shared_secret

log = logging.getLogger("actions.server")

TOKEN_ENV = "ACTION_SERVER_TOKEN"
HOST_ENV = "ACTION_SERVER_HOST"
TOKEN_FILE = "action-server-token"
TOKEN_PARAM = "token"  # rasa.utils.endpoints.EndpointConfig's default token_name
DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = frozenset({"/health"})


def _var_dir(env: Mapping[str, str]) -> Path:
    root = Path(__file__).resolve().parent.parent
    return Path(env.get("VAR_DIR") or root / "var")


def action_server_token(var_dir: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """``ACTION_SERVER_TOKEN``, else the token kept in ``var_dir`` (made once, mode 0600)."""
    env = os.environ if env is None else env
    return shared_secret(Path(var_dir or _var_dir(env)) / TOKEN_FILE, TOKEN_ENV, env)


def presented_token(args: Mapping[str, list[str]] | None, headers: Mapping[str, str]) -> str | None:
    """The token a request carries: ``?token=`` or ``Authorization: Bearer``."""
    values = (args or {}).get(TOKEN_PARAM) if args is not None else None
    if values:
        return values[0] if isinstance(values, list) else values
    auth = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def token_matches(given: str | None, expected: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def require_token(app, token: str) -> None:
    """Refuse (401) every request but ``/health`` that lacks the shared token."""
    from sanic import response

    refused = {"count": 0}

    async def check(request):
        if request.path in OPEN_PATHS:
            return None
        if token_matches(presented_token(request.args, request.headers), token):
            return None
        refused["count"] += 1
        log.warning("actions: refused %s %s from %s without a valid token (%d so far)",
                    request.method, request.path, request.ip or "?", refused["count"])
        return response.json({"error": "unauthorized",
                              "message": "the action server needs the shared token"}, status=401)

    app.register_middleware(check, "request")


def create_app(action_executor, *, token: str, cors_origins=None, auto_reload: bool = False,
               endpoints: str | None = None, keep_alive_timeout: int | None = None):
    """rasa-sdk's app for the primary process and each Sanic worker, with the token check."""
    from rasa_sdk.constants import DEFAULT_ENDPOINTS_PATH, DEFAULT_KEEP_ALIVE_TIMEOUT
    from rasa_sdk.endpoint import create_app_for_serve

    app = create_app_for_serve(
        action_executor, cors_origins=cors_origins, auto_reload=auto_reload,
        endpoints=endpoints or DEFAULT_ENDPOINTS_PATH,
        keep_alive_timeout=keep_alive_timeout or DEFAULT_KEEP_ALIVE_TIMEOUT,
    )
    require_token(app, token)
    return app


def argument_parser():
    from rasa_sdk.endpoint import create_argument_parser

    parser = create_argument_parser()
    parser.prog = "python -m actions.server"
    parser.add_argument("-i", "--interface", default=None,
                        help=f"address to bind (default: ${HOST_ENV} or {DEFAULT_HOST})")
    parser.add_argument("--print-token", action="store_true",
                        help=f"print the shared token (${TOKEN_ENV} or $VAR_DIR/{TOKEN_FILE}) and exit")
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if "--print-token" in argv:  # fast path: no Sanic, no actions imported
        print(action_server_token())
        return
    args = argument_parser().parse_args(argv)
    if args.grpc:
        raise SystemExit("actions.server: --grpc is not supported; use python -m rasa_sdk --grpc")
    token = action_server_token()
    host = args.interface or os.environ.get(HOST_ENV) or DEFAULT_HOST

    from functools import partial

    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_ssl_config
    from rasa_sdk.executor import ActionExecutor
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_app, executor, token=token, cors_origins=args.cors,
                                       auto_reload=args.auto_reload, endpoints=args.endpoints))
    app = loader.load()
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    log.info("action server on %s://%s:%s (token required except for /health)", "https" if ssl else "http",
             host, args.port)
    app.prepare(host=host, port=int(args.port), ssl=ssl, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
