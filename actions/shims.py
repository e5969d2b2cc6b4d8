"""Adapters for backend shapes the chat needs but the service core lacks (yet).

Each one is a single backend operation from the action's point of view and
runs in the same worker thread. Delete a shim when the backend grows the
function it stands in for (listed in the bot README).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from actions.parsing import prefix_of
from backend.db import UnitOfWork
from backend.errors import not_found
from backend.identity.actor import Actor

T = TypeVar("T")


def on_job(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn(uow, actor, *, job_ref, ...)`` reachable with a request number too.

    Customers know the SR- number we gave them; the job use cases take only
    JB- numbers. For SR-/TK- this reads the request (access-checked by the
    backend) and acts on its job.
    """

    def run(uow: UnitOfWork, actor: Actor, *, reference: str, **kwargs: Any) -> T:
        if prefix_of(reference) in ("SR", "TK"):
            from backend.intake.service import get_request

            job_number = get_request(uow, actor, reference=reference).job_number
            if not job_number:
                raise not_found("job", reference)
            reference = job_number
        return fn(uow, actor, job_ref=reference, **kwargs)

    run.__name__ = f"on_job({getattr(fn, '__name__', 'fn')})"
    return run


def status_of(uow: UnitOfWork, actor: Actor, *, reference: str) -> Any:
    """The current view of whatever a reference names: an invoice, a job, or a
    request (its job when it has one, which carries the visit time)."""
    prefix = prefix_of(reference)
    if prefix == "INV":
        from backend.billing.service import get_invoice

        return get_invoice(uow, actor, invoice_ref=reference)
    from backend.jobs.service import get_job

    if prefix == "JB":
        return get_job(uow, actor, job_ref=reference)
    if prefix in ("SR", "TK"):
        from backend.intake.service import get_request

        request = get_request(uow, actor, reference=reference)
        return get_job(uow, actor, job_ref=request.job_number) if request.job_number else request
    raise not_found("request", reference)
