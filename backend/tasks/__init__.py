"""Long operations the portal runs beside the request that starts them (the
imports), kept in the database so that every portal process sees every task:
``portal_tasks`` (``models``), its states and their one writer
(``lifecycle``), and the reads and writes of a task's row (``store``). The
threads that run the work are the portal's (``backend.web.tasks``)."""
