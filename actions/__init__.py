"""The rasa-sdk action server of the fieldserv assistant.

Run it from the app's environment: ``.venv/bin/python -m rasa_sdk --actions actions -p 5055``.
Modules: ``customer`` / ``technician`` (one action per form, each one backend
call), ``customer_forms`` / ``forms`` (form validation), ``support`` (handoff,
stop, knowledge base), ``base`` (the shared action shape), ``runtime`` (the
composition root), ``identity``, ``parsing``. What a reference stands for (the
job behind an SR- number, the status of anything) is the core's
(``backend.processes.lookup``).
"""
