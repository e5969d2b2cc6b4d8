"""Command line of the service core: ``python -m backend.cli <command>``."""

from __future__ import annotations

import argparse
import os
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


def create_admin(settings: Settings, email: str, name: str, password_stdin: bool) -> int:
    """The first admin of a database without the demo world (refused once an admin exists)."""
    import getpass

    import backend.models  # noqa: F401  (every area's tables, so the users' foreign keys resolve)
    from backend.errors import DomainError
    from backend.identity.bootstrap import create_first_admin

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password for the new admin (at least 8 characters): ")
        if getpass.getpass("the same password again: ") != password:
            print("error: the two passwords differ; nothing was created, run the command again", file=sys.stderr)
            return 2
    engine = _engine(settings)
    try:
        admin = create_first_admin(UnitOfWork(make_session_factory(engine)), email=email, name=name,
                                   password=password)
    except DomainError as e:
        print(f"error ({e.code}): {e.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"==> admin {admin.email} created; sign in at the portal and add your staff on the Users page, "
          "your products and prices on 'Parts & prices', then your customers", flush=True)
    return 0


def import_customers(settings: Settings, path: str, dry_run: bool) -> int:
    """Customers, sites, contacts and items from a CSV or XLSX (backend/processes/master_import.py), as the
    command line (an admin): progress, then the report; exit 1 when the file is refused (nothing written)."""
    from pathlib import Path

    from backend.errors import DomainError
    from backend.identity.actor import Actor
    from backend.identity.models import Role
    from backend.processes.master_import import import_master_data

    file = Path(path)
    if not file.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 2
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent // 10 != shown[0] // 10:
            shown[0] = percent
            print(f"  {done:,} of {total:,} rows ({percent} %)", file=sys.stderr, flush=True)

    engine = _engine(settings)
    try:
        report = import_master_data(UnitOfWork(make_session_factory(engine)),
                                    Actor(Role.ADMIN, None, None, "command line", "cli"),
                                    data=file.read_bytes(), file_name=file.name, dry_run=dry_run,
                                    progress=progress)
    except DomainError as e:
        print(f"error ({e.code}): {e.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for p in report.problems:
        print(f"row {p.row}, {p.field}: {p.code} ({p.reason}) {p.message}")
    print(("(dry run) " if dry_run else "") + report.summary(), flush=True)
    return 1 if report.problems else 0


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
    setup = sub.add_parser("setup-db", help="migrate, then load the demo world once (unless --no-demo)")
    setup.add_argument("--no-demo", action="store_true",
                       help="an empty database for real use (also FIELDSERV_DEMO=0); then run create-admin")
    admin = sub.add_parser("create-admin", help="the first admin of a database without the demo world")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    daily = sub.add_parser("daily", help="the scheduled run: renewal reminders, expiries, planned visits due")
    daily.add_argument("--days-before", type=int, default=30, help="remind this many days before a contract ends")
    daily.add_argument("--horizon", type=int, default=14, help="turn visits due within this many days into jobs")
    imp = sub.add_parser("import-customers", help="customers, sites, contacts and items from a CSV or XLSX file")
    imp.add_argument("file", help="the .csv or .xlsx file (its format: README, 'Importing customers')")
    imp.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "import-customers":
        return import_customers(settings, args.file, args.dry_run)
    if args.command == "daily":
        return daily_run(settings, args.days_before, args.horizon)
    if args.command == "create-admin":
        return create_admin(settings, args.email, args.name, args.password_stdin)
    if args.command in ("migrate", "setup-db"):
        migrate(settings)
    no_demo = args.command == "setup-db" and (args.no_demo or os.environ.get("FIELDSERV_DEMO", "1") == "0")
    if args.command == "setup-db" and no_demo:
        import backend.models  # noqa: F401
        from backend.identity.bootstrap import has_admin

        engine = _engine(settings)
        ready = has_admin(UnitOfWork(make_session_factory(engine)))
        engine.dispose()
        print("==> no demo data (FIELDSERV_DEMO=0 / --no-demo)" + (
            "" if ready else "; create the first admin: .venv/bin/python -m backend.cli create-admin "
                             "--email you@example.com --name 'Your Name'"), flush=True)
    elif args.command in ("demo-data", "setup-db"):
        demo_data(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
