"""``python -m backend.generate --jobs N [--database-url URL] [--seed 1]``"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from backend.db import make_engine
from backend.generate import generate
from backend.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.generate",
                                     description="Load a generated history of N jobs (and everything around them).")
    parser.add_argument("--jobs", type=int, required=True, help="how many jobs (the rest scales with it)")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (default: DATABASE_URL, else the SQLite file under var/)")
    parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same world")
    parser.add_argument("--now", default=None,
                        help="ISO timestamp taken as 'now' (default: the present); later events have not happened")
    parser.add_argument("--batch", type=int, default=50_000, help="rows buffered before each bulk write")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    url = args.database_url or Settings.from_env().database_url
    engine = make_engine(url)
    try:
        summary = generate(engine, jobs=args.jobs, seed=args.seed, now=now, progress=not args.no_progress,
                           batch=args.batch)
    finally:
        engine.dispose()
    print(f"==> generated {summary.jobs} jobs over {summary.days} days into "
          f"{engine.url.render_as_string(hide_password=True)} in {summary.seconds:.1f} s "
          f"({summary.jobs_per_second:,.0f} jobs/s)")
    print(f"    {sum(summary.rows.values()):,} rows; {summary.vouchers:,} vouchers, debits = credits = "
          f"{summary.debit_cents / 100:,.2f}" if summary.debit_cents == summary.credit_cents else
          "    LEDGER NOT BALANCED")
    for name, n in sorted(summary.rows.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"    {name:<24}{n:>12,}")
    return 0 if summary.debit_cents == summary.credit_cents else 1


if __name__ == "__main__":
    sys.exit(main())
