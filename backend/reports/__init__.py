"""The manager's read models: each report is one function
``fn(uow, actor, *, start, end, **filters)`` computed by SQL aggregation over
the real tables (nothing kept by hand), returning plain dataclasses.

Definitions (SLA, on time, first-visit fix, labour cost) live in
``backend.reports.common``; every report by its URL name is in
``backend.reports.registry``; the indexes the reports lean on are declared in
``backend.reports.models`` (migration 0005_report_indexes).
"""
