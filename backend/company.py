"""Who the company is, as its invoices and payment requests name it.

Read from the environment once (``Company.from_env``); the defaults describe
the demo company, a service business registered in Maharashtra. A real
installation sets ``COMPANY_NAME``, ``COMPANY_ADDRESS``, ``COMPANY_GSTIN``,
``COMPANY_STATE`` (the two-digit GST state code), ``COMPANY_UPI_VPA`` (the
UPI id customers pay to) and ``COMPANY_UPI_NAME`` (the payee name their UPI
app shows).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    name: str = "fieldserv field service"
    address: str = "14 Service Lane, Andheri East, Mumbai 400069"
    gstin: str = "27AAPFU0939F1ZV"
    state_code: str = "27"  # GST state code of the place of business (27: Maharashtra)
    upi_vpa: str = "fieldserv@okaxis"
    upi_name: str = "fieldserv field service"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Company":
        env = os.environ if env is None else env
        d = cls()
        return cls(
            name=env.get("COMPANY_NAME") or d.name,
            address=env.get("COMPANY_ADDRESS") or d.address,
            gstin=(env.get("COMPANY_GSTIN") or d.gstin).upper(),
            state_code=env.get("COMPANY_STATE") or d.state_code,
            upi_vpa=env.get("COMPANY_UPI_VPA") or d.upi_vpa,
            upi_name=env.get("COMPANY_UPI_NAME") or env.get("COMPANY_NAME") or d.upi_name,
        )


COMPANY = Company.from_env()
