"""Mobile numbers: parsed and checked with ``phonenumbers`` (Google's
libphonenumber metadata) and kept in E.164 (``+919820011111``), so one number
typed three ways (``098200 11111``, ``+91 98200-11111``, ``9820011111``) is
one number for the duplicate check and the delivery channels.

A number without a country code is read as Indian (region ``IN``). A number
that cannot be a real number of its country is refused (``invalid_input``,
``field`` mobile, ``reason`` bad_mobile); so is a landline or any other kind
that cannot take a text message.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from backend.errors import invalid

MAX_TYPED = 32
# What may receive an SMS or a WhatsApp message: a mobile, or a number the
# metadata cannot tell apart from one (the US and Canada share their ranges).
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(text: object, region: str = "IN", *, field: str = "mobile") -> str:
    """``text`` as an E.164 mobile number, or refused (reason ``bad_mobile``)."""
    if not isinstance(text, str) or not text.strip():
        raise invalid("give a mobile number such as +91 98200 11111", field=field, reason="bad_mobile")
    typed = text.strip()
    if len(typed) > MAX_TYPED:
        raise invalid(f"a mobile number is at most {MAX_TYPED} characters", field=field, reason="bad_mobile")
    try:
        number = phonenumbers.parse(typed, region)
    except NumberParseException:
        raise invalid(f"{typed} is not a phone number: type the 10-digit mobile number, or +country code and "
                      "the number", field=field, reason="bad_mobile") from None
    if not phonenumbers.is_valid_number(number):
        hint = " (an Indian mobile has 10 digits and starts with 6, 7, 8 or 9)" if number.country_code == 91 else ""
        raise invalid(f"{typed} is not a valid mobile number: check the digits{hint}", field=field,
                      reason="bad_mobile")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise invalid(f"{typed} is not a mobile number (a landline cannot receive text messages): give a "
                      "mobile number", field=field, reason="bad_mobile")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def shown(e164: str | None) -> str:
    """An E.164 number as people read it (``+91 98200 11111``); other text as it is."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164
