"""The development mail server that ``make run`` starts (``python -m
backend.devmail``): an SMTP server on 127.0.0.1:8025 (aiosmtpd) that keeps
every message it receives as an ``.eml`` file under ``var/mail/``, and a
health URL on 127.0.0.1:8026. Nothing leaves the machine. The portal's
captured-mail page (``/portal/x/mail``) reads the same folder (``mailbox``).

Production has no such server: the worker sends through ``SMTP_URL``.
"""
