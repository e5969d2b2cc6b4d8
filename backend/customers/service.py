"""Customers with their sites and contacts: reading them, and the master data
kept by staff (create, edit, deactivate; sites and contacts likewise).

Every input is checked before anything is written: names and addresses by the
shared field rules, a mobile number with ``phonenumbers`` (kept in E.164,
``backend/customers/phones.py``), an e-mail address by its shape (kept in
lower case), a PIN code (six digits, the first 1-9) and a business's GSTIN
(``backend/customers/gstin.py``). A mobile number or e-mail address that
already belongs to another active customer, or to an active contact of another
customer, is refused (``duplicate``, ``details.existing`` the owner's code,
``details.field`` mobile or email) with a message naming the owner. Every
change writes a history row (``entity_type`` customer, site or contact, what
changed in the note) in the same transaction.

The session-level ``new_customer``, ``new_site`` and ``new_contact`` do the
same checks and writes inside a caller's transaction (the bulk import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend import fields
from backend.customers import gstin as gstin_rules
from backend.customers.models import Contact, Customer, Site
from backend.customers.phones import normalise_mobile
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.changes import apply_changes, describe
from backend.history.moves import record
from backend.idempotency import claim
from backend.identity.actor import STAFF, Actor, require_customer_access, require_role
from backend.notifications.wording import LANGUAGES

CODE_PREFIX = "CU"
KINDS = ("person", "business")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
PIN_CODE = re.compile(r"^[1-9][0-9]{5}$")
MAX_NAME, MAX_SITE_NAME, MAX_ADDRESS, MAX_CITY, MAX_REASON = 160, 120, 400, 80, 200
MAX_SEARCH = 100
UNCHANGED = object()


@dataclass(frozen=True)
class SiteView:
    id: int
    name: str
    address: str
    city: str | None
    pin_code: str | None = None
    active: bool = True
    customer_id: int | None = None
    created: bool = True  # False: a retry with the same idempotency key answered with the first result


@dataclass(frozen=True)
class ContactView:
    name: str
    email: str | None
    phone: str | None  # the contact's mobile, E.164
    id: int | None = None
    active: bool = True
    customer_id: int | None = None
    created: bool = True  # False: a retry with the same idempotency key answered with the first result


@dataclass(frozen=True)
class CustomerView:
    id: int
    code: str
    name: str
    email: str | None
    phone: str | None  # the mobile, E.164 (+919820011111)
    sites: list[SiteView]
    contacts: list[ContactView]
    gstin: str | None = None  # GST registration: None for a consumer
    state_code: str | None = None  # GST state code of the address on record
    state: str = ""  # its name
    kind: str = "person"  # or business
    active: bool = True
    deactivated_reason: str | None = None
    language: str = "en"
    created: bool = True  # False: a retry with the same idempotency key answered with the first result


@dataclass(frozen=True)
class CustomerLine:
    """One customer in the staff's list."""

    id: int
    code: str
    name: str
    kind: str
    phone: str | None
    email: str | None
    city: str | None
    active: bool


# --- reading --------------------------------------------------------------------------------------

def get_customer(uow: UnitOfWork, actor: Actor, *, customer_id: int) -> CustomerView:
    with uow() as s:
        return customer_view(s, actor, customer_id=customer_id)


def customer_view(s: Session, actor: Actor, *, customer_id: int) -> CustomerView:
    """A customer with their sites and contacts, inside the caller's transaction."""
    require_customer_access(actor, customer_id)
    c = s.get(Customer, customer_id)
    if c is None:
        raise not_found("customer", customer_id)
    sites = [_site_view(x) for x in s.scalars(select(Site).where(Site.customer_id == c.id).order_by(Site.id))]
    contacts = [_contact_view(x)
                for x in s.scalars(select(Contact).where(Contact.customer_id == c.id).order_by(Contact.id))]
    return CustomerView(c.id, c.code, c.name, c.email, c.phone, sites, contacts, c.gstin, c.state_code,
                        gstin_rules.state_name(c.state_code), c.kind, c.active, c.deactivated_reason,
                        c.language or "en")


def _site_view(x: Site) -> SiteView:
    return SiteView(x.id, x.name, x.address, x.city, x.pin_code, x.active, x.customer_id)


def _contact_view(x: Contact) -> ContactView:
    return ContactView(x.name, x.email, x.phone, x.id, x.active, x.customer_id)


def list_customers(uow: UnitOfWork, actor: Actor, *, search: str | None = None, include_inactive: bool = False,
                   limit: int = 100) -> list[CustomerLine]:
    """Staff: customers by name, code, mobile (any way typed) or e-mail; newest first."""
    require_role(actor, *STAFF)
    search = fields.text(search, "search", max_len=MAX_SEARCH, required=False)
    if not 1 <= limit <= 500:
        raise invalid("limit is between 1 and 500", field="limit")
    with uow() as s:
        city = (select(Site.city).where(Site.customer_id == Customer.id).order_by(Site.id).limit(1)
                .correlate(Customer).scalar_subquery())
        q = select(Customer, city).order_by(Customer.id.desc()).limit(limit)
        if not include_inactive:
            q = q.where(Customer.active.is_(True))
        if search:
            like = f"%{search}%"
            terms = [Customer.name.ilike(like), Customer.code.ilike(like), Customer.email.ilike(like)]
            digits = re.sub(r"\D", "", search)
            if len(digits) >= 4:
                terms.append(Customer.phone.like(f"%{digits[-10:]}%"))
            q = q.where(or_(*terms))
        return [CustomerLine(c.id, c.code, c.name, c.kind, c.phone, c.email, town, c.active)
                for c, town in s.execute(q)]


# --- checking input -------------------------------------------------------------------------------

def _name(value: Any, field: str = "name", max_len: int = MAX_NAME, what: str | None = None) -> str:
    return fields.text(value, field, max_len=max_len, what=what)


def _kind(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in KINDS:
        raise invalid("a customer is a person or a business", field="kind", reason="bad_kind", allowed=list(KINDS))
    return text


def _optional(value: Any) -> bool:
    """A blank optional value: none."""
    return value is None or (isinstance(value, str) and not value.strip())


def _mobile(value: Any, field: str = "mobile") -> str | None:
    return None if _optional(value) else normalise_mobile(value, field=field)


def _email(value: Any, field: str = "email") -> str | None:
    if _optional(value):
        return None
    if not isinstance(value, str):
        raise invalid("the e-mail address must be text", field=field, reason="bad_email")
    text = value.strip().lower()
    if len(text) > 254 or not EMAIL.match(text) or len(text.split("@", 1)[0]) > 64:
        raise invalid(f"{text[:60]} is not an e-mail address: it looks like name@example.com", field=field,
                      reason="bad_email")
    return text


def _pin_code(value: Any) -> str | None:
    if _optional(value):
        return None
    text = re.sub(r"\s", "", value) if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not PIN_CODE.match(text):
        raise invalid("a PIN code is six digits and does not start with 0 (like 400050)", field="pin_code",
                      reason="bad_pin_code")
    return text


def _language(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in LANGUAGES:
        raise invalid(f"choose one of {', '.join(LANGUAGES)}", field="language", allowed=list(LANGUAGES))
    return text


def _gst(kind: str, gstin: Any, state_code: Any) -> tuple[str | None, str | None]:
    number, state = gstin_rules.registration(gstin, state_code)
    if number and kind != "business":
        raise invalid("only a business has a GSTIN: choose business, or leave the GSTIN blank", field="gstin",
                      reason="not_a_business")
    return number, state


def _reason(value: Any) -> str:
    return fields.text(value, "reason", max_len=MAX_REASON)


def shown_value(value: Any) -> str:
    return "-" if value in (None, "") else str(value)


# --- duplicates -----------------------------------------------------------------------------------

def check_unique(s: Session, *, mobile: str | None, email: str | None, customer_id: int | None = None,
                 contact_id: int | None = None) -> None:
    """Refuse (``duplicate``) a mobile or e-mail that already belongs to another active customer or to an
    active contact of another customer (or another of this customer's contacts, for a contact)."""
    for field, value, column, contact_column in (("mobile", mobile, Customer.phone, Contact.phone),
                                                 ("email", email, Customer.email, Contact.email)):
        if value is None:
            continue
        wanted = value if field == "mobile" else value.lower()
        match = column == wanted if field == "mobile" else func.lower(column) == wanted
        q = select(Customer).where(match, Customer.active.is_(True))
        if customer_id is not None:
            q = q.where(Customer.id != customer_id)
        owner = s.scalar(q.order_by(Customer.id).limit(1))
        if owner is not None:
            raise _duplicate(field, value, owner)
        contact_match = contact_column == wanted if field == "mobile" else func.lower(contact_column) == wanted
        q = (select(Contact, Customer).join(Customer, Customer.id == Contact.customer_id)
             .where(contact_match, Contact.active.is_(True), Customer.active.is_(True)))
        if contact_id is not None:  # a contact: any other contact, this customer's too
            q = q.where(Contact.id != contact_id)
        elif customer_id is not None:  # a customer: their own contacts share their number
            q = q.where(Contact.customer_id != customer_id)
        found = s.execute(q.order_by(Contact.id).limit(1)).first()
        if found is not None:
            contact, owner = found
            raise _duplicate(field, value, owner, contact)


def _duplicate(field: str, value: str, owner: Customer, contact: Contact | None = None) -> DomainError:
    what = "mobile" if field == "mobile" else "e-mail"
    whose = f"{owner.code} {owner.name}" if contact is None else \
        f"{contact.name}, a contact of {owner.code} {owner.name}"
    return DomainError(ErrorCode.DUPLICATE, f"{what} {value} already belongs to {whose}: find that record "
                       "instead of creating another", field=field, existing=owner.code,
                       **({"contact_id": contact.id} if contact is not None else {}))


# --- customers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CustomerInput:
    name: str
    kind: str
    mobile: str | None
    email: str | None
    gstin: str | None
    state_code: str | None
    language: str


def customer_input(name, kind, mobile, email, gstin, state_code, language) -> _CustomerInput:
    kind = _kind(kind)
    name = _name(name, what="customer's name")
    mobile, email = _mobile(mobile), _email(email)
    number, state = _gst(kind, gstin, state_code)
    return _CustomerInput(name, kind, mobile, email, number, state, _language(language))


@dataclass(frozen=True)
class _SiteInput:
    name: str
    address: str
    city: str | None
    pin_code: str | None


def site_input(name, address, city, pin_code, name_field: str = "name") -> _SiteInput:
    return _SiteInput(_name(name or "Main", name_field, MAX_SITE_NAME, "site's name"),
                      fields.text(address, "address", max_len=MAX_ADDRESS, multiline=True),
                      fields.text(city, "city", max_len=MAX_CITY, required=False), _pin_code(pin_code))


def new_customer(s: Session, actor: Actor, *, name: str, kind: str = "person", mobile: str | None = None,
                 email: str | None = None, gstin: str | None = None, state_code: str | None = None,
                 language: str = "en") -> Customer:
    """A new customer (code CU-…) in the caller's transaction, checked and recorded; refused before any row
    is added."""
    require_role(actor, *STAFF)
    data = customer_input(name, kind, mobile, email, gstin, state_code, language)
    return _add_customer(s, actor, data)


def _add_customer(s: Session, actor: Actor, data: _CustomerInput) -> Customer:
    check_unique(s, mobile=data.mobile, email=data.email)
    c = Customer(code=f"new-{uuid4().hex[:16]}", name=data.name, kind=data.kind, phone=data.mobile,
                 email=data.email, gstin=data.gstin, state_code=data.state_code, language=data.language,
                 active=True)
    s.add(c)
    s.flush()
    c.code = f"{CODE_PREFIX}-{c.id:06d}"
    s.flush()
    record(s, entity_type="customer", entity_id=c.id, to_state="created", actor=actor,
           note=f"{c.code} {c.name} ({c.kind}), mobile {shown_value(c.phone)}, e-mail {shown_value(c.email)}, "
                f"GSTIN {shown_value(c.gstin)}, state {shown_value(c.state_code)}")
    return c


def create_customer(uow: UnitOfWork, actor: Actor, *, name: str, kind: str = "person", mobile: str | None = None,
                    email: str | None = None, gstin: str | None = None, state_code: str | None = None,
                    language: str = "en", idempotency_key: str | None = None, site_name: str | None = None,
                    address: str | None = None, city: str | None = None,
                    pin_code: str | None = None) -> CustomerView:
    """Staff bring a customer in (code CU-…), with their first site when an ``address`` is given (a site
    name alone is no site). Refused (``invalid_input`` naming the field and a ``reason``; ``duplicate``
    naming the existing customer) before anything is written."""
    require_role(actor, *STAFF)
    data = customer_input(name, kind, mobile, email, gstin, state_code, language)
    site = None if _optional(address) and _optional(pin_code) and _optional(city) else \
        site_input(site_name, address, city, pin_code, "site_name")
    with uow() as s:
        once = claim(s, actor, "customers.create_customer", idempotency_key, **data.__dict__,
                     site=None if site is None else site.__dict__)
        if once.replay is not None:
            return replace(customer_view(s, actor, customer_id=int(once.replay)), created=False)
        c = _add_customer(s, actor, data)
        if site is not None:
            _add_site(s, actor, c, site)
        once.done(c.id)
        return customer_view(s, actor, customer_id=c.id)


EDITABLE = ("name", "kind", "mobile", "email", "gstin", "state_code", "language")


def update_customer(uow: UnitOfWork, actor: Actor, *, customer_id: int, **changes: Any) -> CustomerView:
    """Staff change what is given (``EDITABLE``; None: unchanged; blank mobile, e-mail or GSTIN: removed).
    The same checks as a new customer; a customer becoming a person drops their GSTIN only when it is
    removed in the same change."""
    require_role(actor, *STAFF)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise invalid(f"{unknown[0]} cannot be changed here; the fields are {', '.join(EDITABLE)}",
                      field=unknown[0], reason="unknown_field")
    given = {k: v for k, v in changes.items() if v is not None}
    with uow() as s:
        c = s.get(Customer, customer_id, with_for_update=True)
        if c is None:
            raise not_found("customer", customer_id)
        if not c.active:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{c.code} is deactivated; its record is kept as it was",
                              customer=c.code)
        kind = _kind(given["kind"]) if "kind" in given else c.kind
        wanted: dict[str, Any] = {}
        if "name" in given:
            wanted["name"] = _name(given["name"], what="customer's name")
        wanted["kind"] = kind
        if "mobile" in given:
            wanted["phone"] = _mobile(given["mobile"])
        if "email" in given:
            wanted["email"] = _email(given["email"])
        if "language" in given:
            wanted["language"] = _language(given["language"])
        if {"kind", "gstin", "state_code"} & set(given):
            # a new GSTIN without a state takes the GSTIN's state; otherwise what is on record stays
            state_given = given["state_code"] if "state_code" in given else None if "gstin" in given else c.state_code
            wanted["gstin"], wanted["state_code"] = _gst(kind, given.get("gstin", c.gstin), state_given)
        check_unique(s, mobile=wanted.get("phone") if wanted.get("phone") != c.phone else None,
                     email=wanted.get("email") if wanted.get("email") != c.email else None, customer_id=c.id)
        changed = _apply(c, wanted)
        if changed:
            record(s, entity_type="customer", entity_id=c.id, to_state="edited", actor=actor,
                   note=f"{c.code}: {changed}")
        s.flush()
        return customer_view(s, actor, customer_id=c.id)


def _apply(row: Any, wanted: dict[str, Any]) -> str:
    """Set what differs; the history note ``field old → new; …`` (None: nothing changed)."""
    changes = apply_changes(row, wanted, skip=UNCHANGED)  # None is a value here: removed
    return describe({"mobile" if k == "phone" else k: v for k, v in changes.items()}, none="-") if changes else ""


def deactivate_customer(uow: UnitOfWork, actor: Actor, *, customer_id: int, reason: str) -> CustomerView:
    """Staff deactivate a customer with the reason (kept with the record and in the history). Their records
    stay; their mobile and e-mail no longer count as taken. Twice: ``already_done``."""
    require_role(actor, *STAFF)
    reason = _reason(reason)
    with uow() as s:
        c = s.get(Customer, customer_id, with_for_update=True)
        if c is None:
            raise not_found("customer", customer_id)
        if not c.active:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{c.code} is already deactivated", customer=c.code)
        c.active, c.deactivated_reason, c.deactivated_at = False, reason, utcnow()
        record(s, entity_type="customer", entity_id=c.id, from_state="active", to_state="deactivated", actor=actor,
               note=f"{c.code}: {reason}")
        s.flush()
        return customer_view(s, actor, customer_id=c.id)


def _active_customer(s: Session, actor: Actor, customer_id: int, *, lock: bool = False) -> Customer:
    require_customer_access(actor, customer_id)
    c = s.get(Customer, customer_id, with_for_update=lock)
    if c is None:
        raise not_found("customer", customer_id)
    if not c.active:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{c.code} is deactivated: nothing can be added to it",
                          customer=c.code)
    return c


# --- sites ----------------------------------------------------------------------------------------

def _add_site(s: Session, actor: Actor, c: Customer, data: _SiteInput) -> Site:
    site = Site(customer_id=c.id, name=data.name, address=data.address, city=data.city, pin_code=data.pin_code,
                active=True)
    s.add(site)
    s.flush()
    record(s, entity_type="site", entity_id=site.id, to_state="created", actor=actor,
           note=f"{c.code} site {site.name}: {site.address}, {shown_value(site.city)} {shown_value(site.pin_code)}")
    return site


def new_site(s: Session, actor: Actor, *, customer: Customer, name: str | None = None, address: str,
             city: str | None = None, pin_code: str | None = None) -> Site:
    """A site of ``customer`` in the caller's transaction (the bulk import)."""
    require_role(actor, *STAFF)
    return _add_site(s, actor, customer, site_input(name, address, city, pin_code))


def add_site(uow: UnitOfWork, actor: Actor, *, customer_id: int, name: str, address: str, city: str | None = None,
             pin_code: str | None = None, idempotency_key: str | None = None) -> SiteView:
    """Staff add a site (an address where the customer's items are) to any customer."""
    require_role(actor, *STAFF)
    data = site_input(name, address, city, pin_code)
    with uow() as s:
        once = claim(s, actor, "customers.add_site", idempotency_key, customer_id=customer_id, **data.__dict__)
        if once.replay is not None:
            return replace(_site_view(s.get(Site, int(once.replay))), created=False)
        c = _active_customer(s, actor, customer_id)
        site = _add_site(s, actor, c, data)
        once.done(site.id)
        return _site_view(site)


def _site(s: Session, site_id: int) -> tuple[Site, Customer]:
    site = s.get(Site, site_id, with_for_update=True)
    if site is None:
        raise not_found("site", site_id)
    return site, s.get(Customer, site.customer_id)


def update_site(uow: UnitOfWork, actor: Actor, *, site_id: int, name: str | None = None,
                address: str | None = None, city: str | None = None, pin_code: str | None = None) -> SiteView:
    """Staff change what is given (None: unchanged; a blank city or PIN code: removed)."""
    require_role(actor, *STAFF)
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = _name(name, max_len=MAX_SITE_NAME, what="site's name")
    if address is not None:
        wanted["address"] = fields.text(address, "address", max_len=MAX_ADDRESS, multiline=True)
    if city is not None:
        wanted["city"] = fields.text(city, "city", max_len=MAX_CITY, required=False)
    if pin_code is not None:
        wanted["pin_code"] = _pin_code(pin_code)
    with uow() as s:
        site, c = _site(s, site_id)
        if not site.active:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"site {site.name} of {c.code} is deactivated",
                              site_id=site.id)
        changed = _apply(site, wanted)
        if changed:
            record(s, entity_type="site", entity_id=site.id, to_state="edited", actor=actor,
                   note=f"{c.code} site {site.name}: {changed}")
        s.flush()
        return _site_view(site)


def deactivate_site(uow: UnitOfWork, actor: Actor, *, site_id: int, reason: str | None = None) -> SiteView:
    """Staff deactivate a site (moved out, closed); its items stay where they were recorded."""
    require_role(actor, *STAFF)
    reason = fields.text(reason, "reason", max_len=MAX_REASON, required=False)
    with uow() as s:
        site, c = _site(s, site_id)
        if not site.active:
            raise DomainError(ErrorCode.ALREADY_DONE, f"site {site.name} of {c.code} is already deactivated",
                              site_id=site.id)
        site.active = False
        record(s, entity_type="site", entity_id=site.id, from_state="active", to_state="deactivated", actor=actor,
               note=f"{c.code} site {site.name}" + (f": {reason}" if reason else ""))
        s.flush()
        return _site_view(site)


# --- contacts -------------------------------------------------------------------------------------

def _add_contact(s: Session, actor: Actor, c: Customer, name: str, mobile: str | None,
                 email: str | None) -> Contact:
    contact = Contact(customer_id=c.id, name=name, phone=mobile, email=email, active=True)
    s.add(contact)
    s.flush()
    record(s, entity_type="contact", entity_id=contact.id, to_state="created", actor=actor,
           note=f"{c.code} contact {contact.name}: mobile {shown_value(mobile)}, e-mail {shown_value(email)}")
    return contact


def contact_input(name: Any, mobile: Any, email: Any) -> tuple[str, str | None, str | None]:
    name = _name(name, max_len=MAX_SITE_NAME, what="contact's name")
    mobile, email = _mobile(mobile), _email(email)
    if mobile is None and email is None:
        raise invalid("give the contact's mobile number or e-mail address", field="mobile", reason="no_way_to_reach")
    return name, mobile, email


def new_contact(s: Session, actor: Actor, *, customer: Customer, name: str, mobile: str | None = None,
                email: str | None = None) -> Contact:
    """A contact of ``customer`` in the caller's transaction (the bulk import)."""
    require_role(actor, *STAFF)
    name, mobile, email = contact_input(name, mobile, email)
    check_unique(s, mobile=mobile, email=email, customer_id=customer.id, contact_id=-1)
    return _add_contact(s, actor, customer, name, mobile, email)


def add_contact(uow: UnitOfWork, actor: Actor, *, customer_id: int, name: str, mobile: str | None = None,
                email: str | None = None, idempotency_key: str | None = None) -> ContactView:
    """Staff add a person to reach at a customer (name and a mobile or e-mail)."""
    require_role(actor, *STAFF)
    name, mobile, email = contact_input(name, mobile, email)
    with uow() as s:
        once = claim(s, actor, "customers.add_contact", idempotency_key, customer_id=customer_id, name=name,
                     mobile=mobile, email=email)
        if once.replay is not None:
            return replace(_contact_view(s.get(Contact, int(once.replay))), created=False)
        c = _active_customer(s, actor, customer_id)
        check_unique(s, mobile=mobile, email=email, customer_id=c.id, contact_id=-1)
        contact = _add_contact(s, actor, c, name, mobile, email)
        once.done(contact.id)
        return _contact_view(contact)


def _contact(s: Session, contact_id: int) -> tuple[Contact, Customer]:
    contact = s.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise not_found("contact", contact_id)
    return contact, s.get(Customer, contact.customer_id)


def update_contact(uow: UnitOfWork, actor: Actor, *, contact_id: int, name: str | None = None,
                   mobile: str | None = None, email: str | None = None) -> ContactView:
    """Staff change what is given (None: unchanged; a blank mobile or e-mail: removed, one must remain)."""
    require_role(actor, *STAFF)
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = _name(name, max_len=MAX_SITE_NAME, what="contact's name")
    if mobile is not None:
        wanted["phone"] = _mobile(mobile)
    if email is not None:
        wanted["email"] = _email(email)
    with uow() as s:
        contact, c = _contact(s, contact_id)
        if not contact.active:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"contact {contact.name} of {c.code} is deactivated",
                              contact_id=contact.id)
        if wanted.get("phone", contact.phone) is None and wanted.get("email", contact.email) is None:
            raise invalid("a contact keeps a mobile number or an e-mail address", field="mobile",
                          reason="no_way_to_reach")
        check_unique(s, mobile=wanted.get("phone") if wanted.get("phone") != contact.phone else None,
                     email=wanted.get("email") if wanted.get("email") != contact.email else None,
                     customer_id=c.id, contact_id=contact.id)
        changed = _apply(contact, wanted)
        if changed:
            record(s, entity_type="contact", entity_id=contact.id, to_state="edited", actor=actor,
                   note=f"{c.code} contact {contact.name}: {changed}")
        s.flush()
        return _contact_view(contact)


def deactivate_contact(uow: UnitOfWork, actor: Actor, *, contact_id: int, reason: str | None = None) -> ContactView:
    """Staff deactivate a contact (left the firm, number given up): their mobile and e-mail are free again."""
    require_role(actor, *STAFF)
    reason = fields.text(reason, "reason", max_len=MAX_REASON, required=False)
    with uow() as s:
        contact, c = _contact(s, contact_id)
        if not contact.active:
            raise DomainError(ErrorCode.ALREADY_DONE, f"contact {contact.name} of {c.code} is already deactivated",
                              contact_id=contact.id)
        contact.active = False
        record(s, entity_type="contact", entity_id=contact.id, from_state="active", to_state="deactivated",
               actor=actor, note=f"{c.code} contact {contact.name}" + (f": {reason}" if reason else ""))
        s.flush()
        return _contact_view(contact)


# --- GST registration -----------------------------------------------------------------------------

def set_gst_registration(uow: UnitOfWork, actor: Actor, *, customer_id: int, gstin: str | None = None,
                         state_code: str | None = None) -> CustomerView:
    """Staff record a customer's GSTIN (None or blank: unregistered) and GST state code (blank with a
    GSTIN: the GSTIN's state). Refused (``invalid_input``, ``reason``: format, checksum, unknown_state,
    state_mismatch) before anything changes; invoices already issued keep what they were issued with.
    A customer given a GSTIN becomes a business."""
    require_role(actor, *STAFF)
    number, state = gstin_rules.registration(gstin, state_code)
    with uow() as s:
        c = s.get(Customer, customer_id, with_for_update=True)
        if c is None:
            raise not_found("customer", customer_id)
        before = (c.gstin, c.state_code)
        c.gstin, c.state_code = number, state
        if number and c.kind != "business":
            c.kind = "business"
        if before != (number, state):
            record(s, entity_type="customer", entity_id=c.id, to_state="gst_registration", actor=actor,
                   note=f"GSTIN {before[0] or '-'} → {number or '-'}, state {before[1] or '-'} → {state or '-'}")
        s.flush()
        return customer_view(s, actor, customer_id=c.id)
