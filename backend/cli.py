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


def daily_run(settings: Settings, days_before: int, horizon: int) -> int:
    """Safe to run any number of times a day: nothing is sent or created twice."""
    from backend.coverage.service import send_renewal_reminders
    from backend.processes.contract_visits import schedule_due_visits

    engine = _engine(settings)
    uow = UnitOfWork(make_session_factory(engine))
    renewals = send_renewal_reminders(uow, days_before=days_before)
    visits = schedule_due_visits(uow, horizon_days=horizon)
    engine.dispose()
    print(f"renewal reminders: {len(renewals.reminded)}; expired: {len(renewals.expired)}; "
          f"visit jobs created: {len(visits.jobs_created)}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply Alembic migrations to DATABASE_URL")
    sub.add_parser("demo-data", help="load the demo world once")
    sub.add_parser("setup-db", help="migrate, then load the demo world once")
    daily = sub.add_parser("daily", help="the scheduled run: renewal reminders, expiries, planned visits due")
    daily.add_argument("--days-before", type=int, default=30, help="remind this many days before a contract ends")
    daily.add_argument("--horizon", type=int, default=14, help="turn visits due within this many days into jobs")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "daily":
        return daily_run(settings, args.days_before, args.horizon)
    if args.command in ("migrate", "setup-db"):
        migrate(settings)
    if args.command in ("demo-data", "setup-db"):
        demo_data(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
