"""Delivering the outbox: each notice, on each of its recipient's channels.

``dispatcher`` turns notices into deliveries and sends them with retries,
a lease against crashed workers and a dead letter; ``channels`` is the one
interface every transport implements (e-mail, chat push, webhook); the
portal inbox needs no transport. The worker process (``backend.worker``)
runs the dispatcher every second.
"""
