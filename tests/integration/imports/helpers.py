"""Building import files in the tests, and counting every table an import may write."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from backend.catalog.models import Item
from backend.customers.models import Contact, Customer, Site
from backend.history.models import StateChange

HEADER = ["customer_ref", "kind", "name", "mobile", "email", "gstin", "state_code", "site_name", "address", "city",
          "pin_code", "contact_name", "contact_mobile", "contact_email", "product_sku", "serial", "installed_on",
          "purchased_on"]
GOOD_GSTIN = "27AAPFU0939F1ZV"


def mobile(n: int) -> str:
    """A valid Indian mobile, different for every n (typed the way people type them)."""
    return f"98{n:08d}"


def rows(customers: int, per_customer: int = 4, *, start: int = 0, tag: str = "") -> list[dict[str, str]]:
    """``customers`` customers of ``per_customer`` item rows each, on two sites, with one contact; every
    fourth customer a business with a GSTIN. Day-first purchase dates, ISO installation dates."""
    out = []
    for c in range(start, start + customers):
        business = c % 4 == 3
        for i in range(per_customer):
            first = i == 0
            site = f"Site {i % 2}"
            out.append({
                "customer_ref": f"R{tag}{c}",
                "kind": ("business" if business else "person") if first else "",
                "name": f"Customer {tag}{c}" if first else "",
                "mobile": mobile(c) if first else "",
                "email": f"c{tag}{c}@example.com" if first else "",
                "gstin": GOOD_GSTIN if first and business else "",
                "state_code": "27" if first else "",
                "site_name": site,
                "address": f"{i % 2 + 1} Station Road" if i < 2 else "",
                "city": "Pune" if i < 2 else "",
                "pin_code": "411001" if i < 2 else "",
                "contact_name": f"Contact {c}" if first else "",
                "contact_mobile": mobile(5_000_000 + c) if first else "",
                "contact_email": "",
                "product_sku": "WM" if i % 2 == 0 else "TV",
                "serial": f"SN{tag}-{c}-{i}",
                "installed_on": "2024-01-05",
                "purchased_on": "04/01/2024",
            })
    return out


def to_csv(records: list[dict[str, str]], header: list[str] = HEADER, *, bom: bool = False,
           delimiter: str = ",") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for r in records:
        w.writerow([r.get(h.lower(), "") for h in header])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def counts(uow) -> dict[str, int]:
    with uow() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Customer, Site, Contact, Item, StateChange)}
