"""HSN and SAC codes: what a GST tax invoice names each line by.

- **HSN** (Harmonised System of Nomenclature) classifies goods: a part carries
  its HSN code, 4, 6 or 8 digits (6 is what a business above ₹5 crore turnover
  must print; 8 is the full Indian tariff code).
- **SAC** (Services Accounting Code, chapter 99 of the same scheme) classifies
  services: 6 digits starting with 99. A labour charge carries its own SAC
  (``service_charges.sac_code``) or, without one, :data:`SERVICE_SAC`.

The codes this business uses, from the CBIC's scheme of classification of
services (heading 9987, "maintenance, repair and installation (except
construction) services"):

- ``998715`` maintenance and repair services of electrical household
  appliances: the visit charge, the workshop bench fee, and annual and
  comprehensive maintenance contracts (an AMC or CMC is a maintenance and
  repair service of the covered appliances, so it carries the same code);
- other codes of the same group for charges an admin adds, e.g. ``998713``
  (computers and peripheral equipment) or ``998719`` (other machinery and
  equipment).
"""

from __future__ import annotations

from backend.errors import invalid

SERVICE_SAC = "998715"  # maintenance and repair services of electrical household appliances
CONTRACT_SAC = "998715"  # maintenance contracts (AMC, CMC, extended warranty) on those appliances


def hsn_code(value: object, field: str = "hsn_code") -> str | None:
    """A part's HSN code: 4, 6 or 8 digits (blank: none)."""
    text = _text(value, field)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) in (4, 6, 8)) or text.startswith("99"):
        raise invalid("an HSN code is 4, 6 or 8 digits (like 853225); codes from 99 are SACs of services",
                      field=field, reason="format")
    return text


def sac_code(value: object, field: str = "sac_code") -> str | None:
    """A service's SAC: 6 digits starting with 99 (blank: none)."""
    text = _text(value, field)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 6 and text.startswith("99")):
        raise invalid("a SAC is 6 digits starting with 99 (like 998715)", field=field, reason="format")
    return text


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"the {field.replace('_', ' ')} must be text", field=field, reason="format")
    text = value.strip().replace(" ", "")
    return text or None
