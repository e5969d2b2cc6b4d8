"""The worker: the one way background work runs (``python -m backend.worker``).

- ``queue``: the task queue (huey): SQLite under ``var/`` by default, Redis
  when ``REDIS_URL`` is set, so several workers on several machines share it.
- ``schedules``: the periodic tasks, one per schedule of
  ``backend.schedules.registry`` (its crontab in the company's zone), and the
  task that runs a schedule in a given slot ("run now", catch-up).
- ``loops``: the threads beside the queue: the outbox dispatcher (notices out
  within seconds) and the pick-up of "run now" requests from the admin page.
- ``health``: ``/health`` on 127.0.0.1:8091 (heartbeat, last dispatch, queue
  size), which ``make run`` waits for.
- ``process``: all of it as one process that stops cleanly on SIGTERM/SIGINT.
"""
