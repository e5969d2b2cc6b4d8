"""Command line of the service core: ``python -m backend.cli <command>``."""

from __future__ import annotations

import argparse
import sys

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.settings import Settings


def _engine(settings: Settings):
    return make_engine(settings.database_url)


def migrate(settings: Settings) -> None:
    from backend.migrate import upgrade

    engine = _engine(settings)
    print(f"==> migrating {engine.url.render_as_string(hide_password=True)}", flush=True)
    upgrade(engine)
    engine.dispose()


def demo_data(settings: Settings) -> None:
    from backend import demo

    engine = _engine(settings)
    logins = demo.load(UnitOfWork(make_session_factory(engine)))
    engine.dispose()
    path = settings.var_dir / "demo-logins.txt"
    if logins:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{l.role:<11} {l.email:<32} {demo.DEMO_PASSWORD}   ({l.name})" for l in logins]
        path.write_text("Demo logins (role, e-mail, password):\n" + "\n".join(lines) + "\n")
        print(f"==> demo data loaded; logins in {path}", flush=True)
    else:
        print("==> demo data already present (skipped)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply Alembic migrations to DATABASE_URL")
    sub.add_parser("demo-data", help="load the demo world once")
    sub.add_parser("setup-db", help="migrate, then load the demo world once")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command in ("migrate", "setup-db"):
        migrate(settings)
    if args.command in ("demo-data", "setup-db"):
        demo_data(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
