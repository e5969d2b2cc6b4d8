"""Scheduled work: what runs on a timetable, and the record of each run.

``registry`` names each schedule (what it does, its crontab in the company's
time zone, the use case it runs); ``crontab`` reads the crontab text and
finds the next and the latest firing; ``runs`` claims a run's slot (one row
per schedule and slot in ``schedule_runs``, so of several workers one runs
it and the others skip) and records how it went; ``service`` is what the
admin page asks (the schedules with their last run; "run now").

The queue and the process that fire these (huey, ``python -m
backend.worker``) are an entry point above this package; nothing here
imports them.
"""
