"""``python -m backend.worker``: the task queue's consumer with its
schedules, the outbox dispatcher and ``/health`` (127.0.0.1:8091), until
SIGTERM or SIGINT (Ctrl-C), which stop it within a few seconds. The
environment it reads is listed in ``backend.worker.process``."""

from __future__ import annotations

import logging
import os
import signal
import sys

from backend.settings import Settings
from backend.worker.process import Worker


def main() -> int:
    logging.basicConfig(level=os.environ.get("WORKER_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = Worker(Settings.from_env())
    except OSError as exc:  # most often: the health port is taken (another worker on this machine?)
        logging.getLogger("backend.worker").error("cannot start: %s (WORKER_HEALTH_PORT picks another port)", exc)
        return 1

    def stop(signum, _frame) -> None:
        logging.getLogger("backend.worker").info("received %s, stopping", signal.Signals(signum).name)
        worker.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.start()
    try:
        worker.run_until_stopped()
    finally:
        worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
