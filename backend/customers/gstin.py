"""GSTINs and GST state codes: the checks a customer's registration passes.

A GSTIN (Goods and Services Tax Identification Number) has 15 characters::

    27 AAPFU0939F 1 Z V
    |  |          | | `-- check character (mod 36, below)
    |  |          | `---- 'Z' for a normal taxpayer
    |  |          `------ entity number of the PAN holder in that state (1-9, A-Z)
    |  `----------------- the holder's PAN: five letters, four digits, a letter
    `-------------------- the GST state code of the registration

The check character is the GSTN's mod-36 scheme (a Luhn "mod N" over the
alphabet 0-9A-Z): each of the first 14 characters' values (0-35) is weighted
1, 2, 1, 2, … from the left, each product contributes its quotient and
remainder by 36, and the check value makes the sum a multiple of 36.

Only a normal taxpayer's GSTIN (the 14th character 'Z') is accepted: the
special forms (UN bodies' UINs, non-resident OIDAR and TDS/TCS registrations)
are not customers of a field-service business.

Refusals are ``invalid_input`` naming the field, with a stable ``reason``:
``format``, ``checksum``, ``unknown_state`` or ``state_mismatch``.
"""

from __future__ import annotations

import re

from backend.errors import invalid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FORMAT = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")

# The GST state and union-territory codes (the first two digits of a GSTIN and
# the place of supply on an invoice), as the GST portal lists them.
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}
# Codes no longer given to new registrations: 25 (Daman and Diu, merged into
# 26 in 2020) and 28 (Andhra Pradesh before 2014; now 37). Their names are kept
# so an old document still prints, but a customer cannot be given them.
RETIRED: dict[str, str] = {"25": "Daman and Diu", "28": "Andhra Pradesh (before division)"}


def check_character(first14: str) -> str:
    """The check character of a GSTIN's first 14 characters (upper case)."""
    total = 0
    for i, ch in enumerate(first14):
        product = ALPHABET.index(ch) * (1 if i % 2 == 0 else 2)
        total += product // 36 + product % 36
    return ALPHABET[(36 - total % 36) % 36]


def is_valid(value: str) -> bool:
    """Whether ``value`` is a well-formed normal taxpayer's GSTIN of a current state."""
    return bool(FORMAT.match(value)) and value[:2] in STATES and check_character(value[:14]) == value[14]


def state_name(code: str | None) -> str:
    """``"27"`` → ``"Maharashtra"`` (an unknown code is returned as it is)."""
    if not code:
        return ""
    return STATES.get(code) or RETIRED.get(code) or code


def state_label(code: str | None) -> str:
    """``"27"`` → ``"27 - Maharashtra"``, as invoices print the place of supply."""
    return f"{code} - {state_name(code)}" if code else ""


def gstin(value: object, field: str = "gstin") -> str | None:
    """A GSTIN as entered (blanks and case forgiven), or None for none; refused
    unless its format, state code and check character are right."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("the GSTIN must be text", field=field, reason="format")
    text = value.strip().upper()
    if not text:
        return None
    if not FORMAT.match(text):
        raise invalid("a GSTIN is 15 characters: the state code, the PAN, the entity number, Z and a check "
                      "character (like 27AAPFU0939F1ZV)", field=field, reason="format")
    if text[:2] not in STATES:
        raise invalid(f"{text[:2]} is not a GST state code", field=field, reason="unknown_state")
    expected = check_character(text[:14])
    if text[14] != expected:
        raise invalid("the GSTIN's check character is wrong: a character was mistyped", field=field,
                      reason="checksum")
    return text


def state_code(value: object, field: str = "state_code") -> str | None:
    """A two-digit GST state code (``"7"`` is read as ``"07"``), or None for none."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise invalid("the state code must be text such as 27", field=field, reason="format")
    text = value.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 2:
        raise invalid("the state code is the two-digit GST code, such as 27 for Maharashtra", field=field,
                      reason="format")
    text = text.zfill(2)
    if text not in STATES:
        raise invalid(f"{text} is not a current GST state code", field=field, reason="unknown_state")
    return text


def registration(gstin_value: object, state_value: object) -> tuple[str | None, str | None]:
    """A customer's (GSTIN, state code): the state defaults to the GSTIN's, and
    must agree with it when both are given."""
    number = gstin(gstin_value)
    state = state_code(state_value)
    if number and state and number[:2] != state:
        raise invalid(f"the GSTIN is registered in {state_label(number[:2])}, not {state_label(state)}",
                      field="state_code", reason="state_mismatch")
    return number, state or (number[:2] if number else None)
