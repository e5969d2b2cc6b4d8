"""Names shared by the route modules: roles and reference parameters."""

from __future__ import annotations

from backend.api.schema import Int, Ref, Str

ALL_ROLES = ("customer", "agent", "technician", "manager", "admin")
STAFF = ("agent", "manager", "admin")
CUSTOMER_AND_STAFF = ("customer", *STAFF)

JOB_REF = {"job_ref": Ref("JB", description="A job reference such as JB-000045")}
INVOICE_REF = {"invoice_ref": Ref("INV", description="An invoice reference such as INV-000012")}
TICKET_REF = {"ticket_ref": Ref("TK", description="A help-desk ticket reference such as TK-000003")}
REQUEST_REF = {"reference": Str(max_len=16, pattern=r"^(SR|JB|TK)-?[0-9]{1,9}$",
                                description="A request reference (SR-…), or the job (JB-…) or ticket (TK-…) it became")}


def ident(name: str, what: str) -> dict[str, Int]:
    return {name: Int(description=f"The {what}'s id")}


NOTE = Str(max_len=500, nullable=True, description="Optional note kept in the history")
