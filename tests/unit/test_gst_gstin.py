"""GSTINs and state codes: the format, the GSTN's mod-36 check character, and
the refusals a customer's registration can meet (each with its stable reason)."""

from __future__ import annotations

import pytest

from backend.catalog import hsn
from backend.company import COMPANY, Company
from backend.customers import gstin
from backend.demo import GST
from backend.errors import DomainError, ErrorCode


def refusal(fn, *args) -> tuple[str, str]:
    with pytest.raises(DomainError) as caught:
        fn(*args)
    assert caught.value.code == ErrorCode.INVALID_INPUT
    return caught.value.details["field"], caught.value.details["reason"]


def test_the_check_character_worked_by_hand():
    # 27AAPFU0939F1Z: values 2 7 10 10 25 15 30 0 9 3 9 15 1 35, weighted 1 2 1 2 …:
    # 2, 14, 10, 20, 25, 30, 30, 0, 9, 6, 9, 30, 1, 70 -> 70 is 1*36 + 34, so it counts 1 + 34;
    # sum = 2+14+10+20+25+30+30+0+9+6+9+30+1+35 = 221; 221 mod 36 = 5; 36 - 5 = 31 -> "V"
    assert gstin.check_character("27AAPFU0939F1Z") == "V"
    assert gstin.is_valid("27AAPFU0939F1ZV")


@pytest.mark.parametrize("number", ["27AAPFU0939F1ZV", "07AAPFU0939F1ZX", "29AABCT1332L1ZA"])
def test_published_gstins_pass(number):
    assert gstin.gstin(number) == number
    assert gstin.gstin(f"  {number.lower()} ") == number  # blanks and case forgiven


def test_the_company_and_the_demo_customers_have_valid_gstins():
    assert gstin.is_valid(COMPANY.gstin) and COMPANY.gstin[:2] == COMPANY.state_code == "27"
    assert gstin.is_valid(Company().gstin)
    for number, state in GST.values():
        assert number is None or (gstin.is_valid(number) and number[:2] == state)
        assert state in gstin.STATES


@pytest.mark.parametrize("value, reason", [
    ("27AAPFU0939F1ZW", "checksum"),   # last character mistyped
    ("27AAPFU0939F1VZ", "format"),     # the 14th character must be Z
    ("27AAPFU093F91ZV", "format"),     # PAN digits and letter transposed
    ("72AAPFU0939F1ZV", "unknown_state"),
    ("28AAPFU0939F1ZV", "unknown_state"),  # Andhra Pradesh before 2014: no longer given
    ("27AAPFU0939F0ZV", "format"),     # entity number 0
    ("27AAPFU0939F1Z", "format"),      # 14 characters
    ("GSTIN", "format"),
    (27, "format"),
])
def test_a_wrong_gstin_is_refused_with_its_reason(value, reason):
    assert refusal(gstin.gstin, value) == ("gstin", reason)


def test_a_swap_of_two_characters_is_caught_by_the_check_character():
    assert refusal(gstin.gstin, "27AAPFU0993F1ZV") == ("gstin", "checksum")


def test_blank_means_none():
    assert gstin.gstin(None) is None and gstin.gstin("  ") is None
    assert gstin.state_code(None) is None and gstin.state_code("") is None


def test_state_codes():
    assert gstin.state_code("27") == "27" and gstin.state_code("7") == "07" and gstin.state_code(9) == "09"
    assert gstin.state_name("29") == "Karnataka" and gstin.state_label("27") == "27 - Maharashtra"
    assert refusal(gstin.state_code, "99") == ("state_code", "unknown_state")
    assert refusal(gstin.state_code, "Maharashtra") == ("state_code", "format")
    assert refusal(gstin.state_code, "１２") == ("state_code", "format")  # full-width digits are not a code


def test_a_registration_takes_its_state_from_the_gstin_and_refuses_another():
    assert gstin.registration("29AABCT1332L1ZA", None) == ("29AABCT1332L1ZA", "29")
    assert gstin.registration("29AABCT1332L1ZA", "29") == ("29AABCT1332L1ZA", "29")
    assert gstin.registration(None, "24") == (None, "24")
    assert gstin.registration("", "") == (None, None)
    assert refusal(gstin.registration, "29AABCT1332L1ZA", "27") == ("state_code", "state_mismatch")


def test_hsn_and_sac_codes():
    assert hsn.hsn_code("8532") == "8532" and hsn.hsn_code("853225") == "853225"
    assert hsn.hsn_code("8532 2500") == "85322500" and hsn.hsn_code(" ") is None
    assert hsn.sac_code("998715") == "998715" and hsn.sac_code(None) is None
    for bad in ("85322", "853225001", "99871", "abcd"):
        assert refusal(hsn.hsn_code, bad) == ("hsn_code", "format")
    assert refusal(hsn.hsn_code, "998715") == ("hsn_code", "format")  # a SAC is not an HSN
    for bad in ("853225", "99871", "9987155"):
        assert refusal(hsn.sac_code, bad) == ("sac_code", "format")
