"""Customers with their sites and contacts (created, edited and deactivated by staff, every change in the
history), and the notices the system sent them."""

from __future__ import annotations

from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF, ident
from backend.api.routing import RETRY, Call, RouteTable
from backend.api.schema import Bool, Enum, Int, Obj, Str
from backend.catalog import items
from backend.customers import service as customers
from backend.notifications import inbox
from backend.notifications import service as notifications

routes = RouteTable("customers")


@routes.get("/api/customers/{customer_id}", "A customer with sites and contacts (a customer sees only themself)",
            params=ident("customer_id", "customer"), response=returns(customers.get_customer),
            roles=CUSTOMER_AND_STAFF)
async def get_customer(call: Call) -> Any:
    return await call(customers.get_customer, customer_id=call.path["customer_id"])


@routes.post("/api/customers/{customer_id}/gst", "Set a customer's GSTIN and GST state code (staff)",
             params=ident("customer_id", "customer"), response=returns(customers.set_gst_registration), roles=STAFF,
             body=Obj(gstin=Str(max_len=20, nullable=True, default=None,
                                description="The GSTIN (15 characters, checked with its check character); "
                                            "null or blank: not registered"),
                      state_code=Str(max_len=2, nullable=True, default=None,
                                     description="Two-digit GST state code of the address on record; "
                                                 "blank with a GSTIN: the GSTIN's state")),
             description="Decides the place of supply of the customer's next invoices (CGST + SGST within the "
                         "company's state, else IGST). Refused with 422 invalid_input, details.reason one of "
                         "format, checksum, unknown_state, state_mismatch.")
async def set_gst_registration(call: Call) -> Any:
    return await call(customers.set_gst_registration, customer_id=call.path["customer_id"], **call.body)


# --- customer master data (staff) -----------------------------------------------------------------

CUSTOMER = ident("customer_id", "customer")
SITE = ident("site_id", "site")
CONTACT = ident("contact_id", "contact")
REFUSALS = ("Refused with 422 invalid_input naming details.field with details.reason (bad_mobile, bad_email, "
            "bad_pin_code, bad_kind, not_a_business, format, checksum, unknown_state, state_mismatch), or 409 "
            "duplicate when the mobile or e-mail already belongs to another active customer or contact "
            "(details.existing: that customer's code, details.field: mobile or email).")
MOBILE = Str(max_len=32, min_len=0, nullable=True, description="A mobile number as typed (+91 98200 11111, "
             "09820011111); kept in E.164. Without a country code: India")
EMAIL = Str(max_len=254, min_len=0, nullable=True, description="An e-mail address; kept in lower case")
PIN = Str(max_len=10, min_len=0, nullable=True, description="Indian PIN code: six digits, the first 1-9")
CITY = Str(max_len=80, min_len=0, nullable=True)
GSTIN = Str(max_len=20, min_len=0, nullable=True, description="A business's GSTIN (15 characters)")
STATE = Str(max_len=2, min_len=0, nullable=True, description="Two-digit GST state code; blank with a GSTIN: its state")
KIND = Enum(*customers.KINDS, description="person or business (only a business has a GSTIN)")
REASON = Str(max_len=customers.MAX_REASON, description="Why: kept with the record and in the history")


@routes.get("/api/customers", "Customers by name, code, mobile or e-mail, newest first (staff)",
            query={"search": Str(max_len=customers.MAX_SEARCH, nullable=True),
                   "include_inactive": Bool(default=False), "limit": Int(maximum=500, default=100)},
            response=returns(customers.list_customers), roles=STAFF)
async def list_customers(call: Call) -> Any:
    return await call(customers.list_customers, **call.query)


@routes.post("/api/customers", "Bring a new customer in, with their first site (staff)", status=201, roles=STAFF,
             idempotent=True, response=returns(customers.create_customer),
             body=Obj(name=Str(max_len=customers.MAX_NAME), kind=Enum(*customers.KINDS, default="person"),
                      mobile=MOBILE, email=EMAIL, gstin=GSTIN, state_code=STATE,
                      language=Enum("en", "hi", default="en"),
                      site_name=Str(max_len=customers.MAX_SITE_NAME, nullable=True, description="default: Main"),
                      address=Str(max_len=customers.MAX_ADDRESS, nullable=True,
                                  description="The first site's address (none: no site yet)"),
                      city=CITY, pin_code=PIN),
             description="The code is CU- and the id. " + REFUSALS + " " + RETRY)
async def create_customer(call: Call) -> Any:
    return await call(customers.create_customer, **call.body)


@routes.route("PATCH", "/api/customers/{customer_id}", "Change a customer's record (staff)", params=CUSTOMER,
              roles=STAFF, response=returns(customers.update_customer),
              body=Obj(name=Str(max_len=customers.MAX_NAME, nullable=True), kind=Enum(*customers.KINDS, nullable=True),
                       mobile=MOBILE, email=EMAIL, gstin=GSTIN, state_code=STATE, language=Enum("en", "hi", nullable=True)),
              description="Only the fields given change (null or absent: unchanged; an empty mobile, e-mail or GSTIN "
                          "removes it). " + REFUSALS)
async def update_customer(call: Call) -> Any:
    return await call(customers.update_customer, customer_id=call.path["customer_id"], **call.body)


@routes.post("/api/customers/{customer_id}/deactivate", "Deactivate a customer with the reason (staff)",
             params=CUSTOMER, roles=STAFF, body=Obj(reason=REASON), response=returns(customers.deactivate_customer),
             description="The records stay; the mobile and e-mail are free for another customer. Twice: 409 "
                         "already_done.")
async def deactivate_customer(call: Call) -> Any:
    return await call(customers.deactivate_customer, customer_id=call.path["customer_id"], **call.body)


@routes.get("/api/customers/{customer_id}/history", "The changes to a customer, their sites, contacts and items "
            "(staff)", params=CUSTOMER, query={"limit": Int(maximum=500, default=100)},
            response=returns(items.customer_history), roles=STAFF)
async def customer_history(call: Call) -> Any:
    return await call(items.customer_history, customer_id=call.path["customer_id"], **call.query)


@routes.post("/api/customers/{customer_id}/sites", "Add a site (an address) to a customer (staff)", status=201,
             params=CUSTOMER, roles=STAFF, idempotent=True, response=returns(customers.add_site),
             body=Obj(name=Str(max_len=customers.MAX_SITE_NAME), address=Str(max_len=customers.MAX_ADDRESS),
                      city=CITY, pin_code=PIN),
             description=REFUSALS + " " + RETRY)
async def add_site(call: Call) -> Any:
    return await call(customers.add_site, customer_id=call.path["customer_id"], **call.body)


@routes.route("PATCH", "/api/sites/{site_id}", "Change a site's name, address, city or PIN code (staff)",
              params=SITE, roles=STAFF, response=returns(customers.update_site),
              body=Obj(name=Str(max_len=customers.MAX_SITE_NAME, nullable=True),
                       address=Str(max_len=customers.MAX_ADDRESS, nullable=True), city=CITY, pin_code=PIN),
              description="Only the fields given change. " + REFUSALS)
async def update_site(call: Call) -> Any:
    return await call(customers.update_site, site_id=call.path["site_id"], **call.body)


@routes.post("/api/sites/{site_id}/deactivate", "Deactivate a site (staff)", params=SITE, roles=STAFF,
             body=Obj(reason=Str(max_len=customers.MAX_REASON, nullable=True)),
             response=returns(customers.deactivate_site))
async def deactivate_site(call: Call) -> Any:
    return await call(customers.deactivate_site, site_id=call.path["site_id"], **call.body)


@routes.post("/api/customers/{customer_id}/contacts", "Add a contact (name, mobile, e-mail) to a customer (staff)",
             status=201, params=CUSTOMER, roles=STAFF, idempotent=True, response=returns(customers.add_contact),
             body=Obj(name=Str(max_len=customers.MAX_SITE_NAME), mobile=MOBILE, email=EMAIL),
             description="A mobile or an e-mail is needed (reason no_way_to_reach). " + REFUSALS + " " + RETRY)
async def add_contact(call: Call) -> Any:
    return await call(customers.add_contact, customer_id=call.path["customer_id"], **call.body)


@routes.route("PATCH", "/api/contacts/{contact_id}", "Change a contact's name, mobile or e-mail (staff)",
              params=CONTACT, roles=STAFF, response=returns(customers.update_contact),
              body=Obj(name=Str(max_len=customers.MAX_SITE_NAME, nullable=True), mobile=MOBILE, email=EMAIL),
              description="Only the fields given change. " + REFUSALS)
async def update_contact(call: Call) -> Any:
    return await call(customers.update_contact, contact_id=call.path["contact_id"], **call.body)


@routes.post("/api/contacts/{contact_id}/deactivate", "Deactivate a contact (staff)", params=CONTACT, roles=STAFF,
             body=Obj(reason=Str(max_len=customers.MAX_REASON, nullable=True)),
             response=returns(customers.deactivate_contact))
async def deactivate_contact(call: Call) -> Any:
    return await call(customers.deactivate_contact, contact_id=call.path["contact_id"], **call.body)


@routes.get("/api/notifications", "Notices written to the outbox, newest first (each 'customer informed')",
            query={"customer_id": Int(nullable=True), "limit": Int(maximum=500, default=50)},
            response=returns(notifications.list_notifications), roles=ALL_ROLES)
async def list_notifications(call: Call) -> Any:
    return await call(notifications.list_notifications, **call.query)


@routes.get("/api/inbox", "My notices as delivered to me (the portal inbox), newest first",
            query={"limit": Int(maximum=200, default=50)}, response=returns(inbox.inbox), roles=ALL_ROLES)
async def my_inbox(call: Call) -> Any:
    return await call(inbox.inbox, **call.query)


@routes.post("/api/inbox/read", "Mark one notice (item_id) or all of my notices read; how many changed",
             body=Obj(item_id=Int(nullable=True, default=None)), roles=ALL_ROLES)
async def mark_inbox_read(call: Call) -> Any:
    return {"changed": await call(inbox.mark_read, **call.body)}
