"""Customers, sites and contacts kept by staff: created with a code, edited,
deactivated; every refusal with its stable code and nothing changed; every
change in the history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.customers import service as customers
from backend.customers.phones import normalise_mobile
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange

from .conftest import snapshot

GSTIN = "27AAGFG4821K1ZA"  # Maharashtra, check character right


def _refused(uow, fn, *args, **kwargs) -> DomainError:
    before = snapshot(uow)
    with pytest.raises(DomainError) as exc:
        fn(uow, *args, **kwargs)
    assert snapshot(uow) == before, "a refusal changed something"
    return exc.value


def _history(uow, entity_type: str, entity_id: int) -> list[tuple[str, str | None]]:
    with uow() as s:
        return [(c.to_state, c.note) for c in s.scalars(
            select(StateChange).where(StateChange.entity_type == entity_type, StateChange.entity_id == entity_id)
            .order_by(StateChange.id))]


def test_a_person_is_created_with_a_code_a_normalised_mobile_and_a_first_site(uow, world):
    made = customers.create_customer(uow, world.agent, name="  Ravi Kumar ", mobile="098450 12345",
                                     email="Ravi.Kumar@Example.COM", address="44 3rd Cross, Indiranagar",
                                     city="Bengaluru", pin_code="560 038")
    assert made.code == f"CU-{made.id:06d}"
    assert (made.name, made.kind, made.phone, made.email, made.active) == (
        "Ravi Kumar", "person", "+919845012345", "ravi.kumar@example.com", True)
    [site] = made.sites
    assert (site.name, site.address, site.city, site.pin_code) == ("Main", "44 3rd Cross, Indiranagar",
                                                                   "Bengaluru", "560038")
    assert customers.get_customer(uow, world.agent, customer_id=made.id) == made
    [(state, note)] = _history(uow, "customer", made.id)
    assert state == "created" and made.code in note and "+919845012345" in note
    assert [s for s, _ in _history(uow, "site", site.id)] == ["created"]


def test_a_business_carries_its_gstin_and_state(uow, world):
    made = customers.create_customer(uow, world.manager, name="Greenleaf Cafe", kind="business",
                                     gstin=GSTIN.lower(), email="orders@greenleaf.example")
    assert (made.kind, made.gstin, made.state_code, made.state) == ("business", GSTIN, "27", "Maharashtra")


def test_the_same_form_sent_twice_creates_one_customer(uow, world):
    first = customers.create_customer(uow, world.agent, name="Asha", mobile="9820011111", idempotency_key="k-1")
    again = customers.create_customer(uow, world.agent, name="Asha", mobile="9820011111", idempotency_key="k-1")
    assert (again.id, again.created, first.created) == (first.id, False, True)


def test_a_mobile_of_another_customer_is_refused_naming_them(uow, world):
    ravi = customers.create_customer(uow, world.agent, name="Ravi Kumar", mobile="+91 98450 12345")
    err = _refused(uow, customers.create_customer, world.agent, name="Someone", mobile="09845012345")
    assert err.code == ErrorCode.DUPLICATE
    assert err.details["field"] == "mobile" and err.details["existing"] == ravi.code
    assert f"mobile +919845012345 already belongs to {ravi.code} Ravi Kumar" in err.message


def test_an_email_of_another_customer_is_refused_whatever_its_case(uow, world):
    err = _refused(uow, customers.create_customer, world.agent, name="Alice again", email="ALICE@example.com")
    assert err.code == ErrorCode.DUPLICATE
    assert err.details == {"field": "email", "existing": "C-A"}
    assert "alice@example.com already belongs to C-A Alice" in err.message


def test_a_number_held_by_a_contact_of_another_customer_is_refused(uow, world):
    firm = customers.create_customer(uow, world.agent, name="Firm", kind="business")
    customers.add_contact(uow, world.agent, customer_id=firm.id, name="Meera", mobile="9811122233")
    err = _refused(uow, customers.create_customer, world.agent, name="Meera Home", mobile="+919811122233")
    assert err.code == ErrorCode.DUPLICATE and err.details["existing"] == firm.code
    assert "Meera, a contact of" in err.message


def test_a_deactivated_customers_mobile_is_free_again(uow, world):
    old = customers.create_customer(uow, world.agent, name="Old", mobile="9811122233")
    customers.deactivate_customer(uow, world.agent, customer_id=old.id, reason="moved abroad")
    new = customers.create_customer(uow, world.agent, name="New", mobile="9811122233")
    assert new.phone == "+919811122233"


@pytest.mark.parametrize("kwargs, field, reason", [
    ({"mobile": "12345"}, "mobile", "bad_mobile"),
    ({"mobile": "+91 22 4000 3333"}, "mobile", "bad_mobile"),  # a landline takes no text messages
    ({"email": "ravi@"}, "email", "bad_email"),
    ({"kind": "business", "gstin": "27AAGFG4821K1ZB"}, "gstin", "checksum"),
    ({"kind": "business", "gstin": "27AAGFG4821"}, "gstin", "format"),
    ({"gstin": GSTIN}, "gstin", "not_a_business"),
    ({"address": "1 Elm St", "pin_code": "012345"}, "pin_code", "bad_pin_code"),
    ({"address": "1 Elm St", "pin_code": "40005"}, "pin_code", "bad_pin_code"),
    ({"kind": "shop"}, "kind", "bad_kind"),
])
def test_bad_input_is_refused_naming_the_field_and_reason(uow, world, kwargs, field, reason):
    err = _refused(uow, customers.create_customer, world.agent, name="Someone", **kwargs)
    assert err.code == ErrorCode.INVALID_INPUT
    assert (err.details["field"], err.details["reason"]) == (field, reason)


def test_only_staff_create_customers(uow, world):
    for who in (world.alice, world.tech):
        assert _refused(uow, customers.create_customer, who, name="Me").code == ErrorCode.FORBIDDEN


def test_an_edit_changes_what_is_given_and_says_what_changed(uow, world):
    made = customers.create_customer(uow, world.agent, name="Ravi", mobile="9845012345")
    edited = customers.update_customer(uow, world.manager, customer_id=made.id, name="Ravi Kumar",
                                       mobile="+91 98450 99999", email="ravi@example.in")
    assert (edited.name, edited.phone, edited.email) == ("Ravi Kumar", "+919845099999", "ravi@example.in")
    state, note = _history(uow, "customer", made.id)[-1]
    assert state == "edited"
    assert "name 'Ravi' → 'Ravi Kumar'" in note and "mobile '+919845012345' → '+919845099999'" in note


def test_an_edit_to_another_customers_email_is_refused(uow, world):
    made = customers.create_customer(uow, world.agent, name="Ravi", email="ravi@example.in")
    err = _refused(uow, customers.update_customer, world.agent, customer_id=made.id, email="bob@example.com")
    assert err.code == ErrorCode.DUPLICATE and err.details == {"field": "email", "existing": "C-B"}


def test_keeping_ones_own_number_is_no_duplicate(uow, world):
    made = customers.create_customer(uow, world.agent, name="Ravi", mobile="9845012345")
    customers.add_contact(uow, world.agent, customer_id=made.id, name="Ravi", mobile="9845012345")
    again = customers.update_customer(uow, world.agent, customer_id=made.id, mobile="+919845012345", name="Ravi")
    assert again.phone == "+919845012345"


def test_a_business_becoming_a_person_must_give_up_its_gstin(uow, world):
    firm = customers.create_customer(uow, world.agent, name="Firm", kind="business", gstin=GSTIN)
    err = _refused(uow, customers.update_customer, world.agent, customer_id=firm.id, kind="person")
    assert (err.code, err.details["reason"]) == (ErrorCode.INVALID_INPUT, "not_a_business")
    person = customers.update_customer(uow, world.agent, customer_id=firm.id, kind="person", gstin="")
    assert (person.kind, person.gstin) == ("person", None)


def test_deactivation_keeps_the_reason_and_refuses_twice(uow, world):
    made = customers.create_customer(uow, world.agent, name="Gone")
    gone = customers.deactivate_customer(uow, world.agent, customer_id=made.id, reason="closed the shop")
    assert (gone.active, gone.deactivated_reason) == (False, "closed the shop")
    assert _history(uow, "customer", made.id)[-1] == ("deactivated", f"{made.code}: closed the shop")
    err = _refused(uow, customers.deactivate_customer, world.agent, customer_id=made.id, reason="again")
    assert err.code == ErrorCode.ALREADY_DONE
    err = _refused(uow, customers.add_site, world.agent, customer_id=made.id, name="X", address="Y")
    assert err.code == ErrorCode.ILLEGAL_TRANSITION
    assert [c.code for c in customers.list_customers(uow, world.agent, search="Gone")] == []
    assert [c.code for c in customers.list_customers(uow, world.agent, search="Gone", include_inactive=True)] == [
        made.code]


def test_sites_are_added_edited_and_deactivated(uow, world):
    site = customers.add_site(uow, world.agent, customer_id=world.bob.customer_id, name="Shop",
                              address="5 Hill Road", city="Mumbai", pin_code="400050")
    moved = customers.update_site(uow, world.agent, site_id=site.id, address="7 Hill Road", pin_code="400 051")
    assert (moved.address, moved.pin_code, moved.city) == ("7 Hill Road", "400051", "Mumbai")
    err = _refused(uow, customers.update_site, world.agent, site_id=site.id, pin_code="0400051")
    assert (err.code, err.details["reason"]) == (ErrorCode.INVALID_INPUT, "bad_pin_code")
    closed = customers.deactivate_site(uow, world.agent, site_id=site.id, reason="shop closed")
    assert closed.active is False
    assert [s for s, _ in _history(uow, "site", site.id)] == ["created", "edited", "deactivated"]


def test_contacts_are_added_edited_deactivated_and_checked_for_duplicates(uow, world):
    contact = customers.add_contact(uow, world.agent, customer_id=world.bob.customer_id, name="Sunita",
                                    mobile="98111 22233", email="Sunita@Example.com")
    assert (contact.phone, contact.email) == ("+919811122233", "sunita@example.com")
    err = _refused(uow, customers.add_contact, world.agent, customer_id=world.alice.customer_id, name="Other",
                   mobile="+919811122233")
    assert err.code == ErrorCode.DUPLICATE and err.details["existing"] == "C-B"
    err = _refused(uow, customers.add_contact, world.agent, customer_id=world.bob.customer_id, name="Nobody")
    assert (err.code, err.details["reason"]) == (ErrorCode.INVALID_INPUT, "no_way_to_reach")
    err = _refused(uow, customers.update_contact, world.agent, contact_id=contact.id, mobile="not a number")
    assert (err.code, err.details["field"], err.details["reason"]) == (ErrorCode.INVALID_INPUT, "mobile",
                                                                       "bad_mobile")
    edited = customers.update_contact(uow, world.agent, contact_id=contact.id, name="Sunita Rao", email="")
    assert (edited.name, edited.email, edited.phone) == ("Sunita Rao", None, "+919811122233")
    customers.deactivate_contact(uow, world.agent, contact_id=contact.id)
    # her number is free again
    customers.add_contact(uow, world.agent, customer_id=world.alice.customer_id, name="Other", mobile="9811122233")
    assert [s for s, _ in _history(uow, "contact", contact.id)] == ["created", "edited", "deactivated"]


def test_the_importers_session_helpers_check_the_same_way(uow, world):
    with pytest.raises(DomainError) as exc, uow() as s:
        customers.new_customer(s, world.admin, name="Dup", email="bob@example.com")
    assert exc.value.code == ErrorCode.DUPLICATE
    with uow() as s:
        c = customers.new_customer(s, world.admin, name="Imported", mobile="9876543210")
        customers.new_site(s, world.admin, customer=c, address="1 Road", pin_code="560001")
        customers.new_contact(s, world.admin, customer=c, name="Imported", mobile="9876543210")
        with pytest.raises(DomainError) as exc:
            customers.new_customer(s, world.admin, name="Same file", mobile="+91 98765 43210")
        assert exc.value.details["existing"] == c.code
        code = c.code
    assert code.startswith("CU-")


def test_normalise_mobile_reads_one_number_typed_many_ways():
    assert {normalise_mobile(x) for x in ("9820011111", "098200 11111", "+91-98200-11111", "+91 98200 11111")} == {
        "+919820011111"}
    assert normalise_mobile("+44 7911 123456") == "+447911123456"
    with pytest.raises(DomainError) as exc:
        normalise_mobile("98200")
    assert (exc.value.code, exc.value.details) == (ErrorCode.INVALID_INPUT, {"field": "mobile", "reason": "bad_mobile"})
