"""A portal process, for ``test_portal_tasks``: it starts a real import of
``customers`` customers as a task of the admin (user ``admin_id``) and stops
it half-way through writing, inside the import's transaction, saying so on
stdout, then waits to be killed.

    python -m tests.integration.web.task_process URL SCHEMA ADMIN_ID CUSTOMERS

(SCHEMA: the PostgreSQL schema the tests' database lives in, or ``-``.)"""

from __future__ import annotations

import sys
import threading

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes.master_import import import_master_data
from backend.web.tasks import Tasks
from tests.integration.imports.helpers import rows, to_csv


def main(url: str, schema: str, admin_id: int, customers: int) -> None:
    options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema != "-" else {}
    uow = UnitOfWork(make_session_factory(make_engine(url, **options)))
    tasks = Tasks(uow, report_every=0.05, beat_every=0.1)
    admin = Actor(Role.ADMIN, admin_id, name="admin", channel="portal")
    data = to_csv(rows(customers))

    def work(report):
        seen = []

        def progress(done: int, total: int) -> None:
            report(done, total)
            if seen and done < seen[-1]:  # the count starts again: the rows are being written
                print("writing", flush=True)
                threading.Event().wait()
            seen.append(done)

        return import_master_data(uow, admin, data=data, file_name="customers.csv", progress=progress).to_dict()

    task = tasks.start(admin_id, "import of customers.csv", work)
    print(f"task {task.id} {tasks.runner}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
