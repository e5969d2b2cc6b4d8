"""A small world of our own for the API tests, with prices chosen so that the
expected figures can be worked out by hand in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from backend.catalog.models import Item, Part, Product, ServiceCharge
from backend.coverage.models import Contract, CoveredItem
from backend.customers.models import Customer, Site
from backend.db import UnitOfWork
from backend.identity.models import User
from backend.identity.passwords import hash_password

PASSWORD = "secret-pass-1"

VISIT_PRICE = Decimal("500.00")  # labour, 18 % tax
PUMP_PRICE = Decimal("250.00")  # part P-PUMP, 18 % tax, 5 in stock
FILTER_PRICE = Decimal("120.00")  # part P-FILTER, 18 % tax, 3 in stock
PUMP_STOCK = Decimal("5")
FILTER_STOCK = Decimal("3")


@dataclass(frozen=True)
class World:
    cust_a: int  # Asha: an AMC-covered AC (labour only) and an uncovered washer
    cust_b: int  # Ravi: a CMC-covered fridge
    site_a: int
    serial_amc: str
    serial_uncovered: str
    serial_cmc: str
    tech1: int
    tech2: int
    emails: dict[str, str]  # login name -> e-mail; all share PASSWORD


LOGINS = {
    "admin": ("admin", None),
    "agent": ("agent", None),
    "manager": ("manager", None),
    "tech1": ("technician", None),
    "tech2": ("technician", None),
    "asha": ("customer", "A"),
    "ravi": ("customer", "B"),
}


def build_world(uow: UnitOfWork, today: date | None = None) -> World:
    today = today or date.today()
    pw = hash_password(PASSWORD)
    with uow() as s:
        a = Customer(code="C-A", name="Asha Mehta", email="asha@example.test", phone="+91 98200 11111")
        b = Customer(code="C-B", name="Ravi Kumar", email="ravi@example.test", phone="+91 98450 22222")
        s.add_all([a, b])
        s.flush()
        site_a = Site(customer_id=a.id, name="Home", address="12 Palm Grove", city="Mumbai")
        site_b = Site(customer_id=b.id, name="Home", address="44 3rd Cross", city="Bengaluru")
        s.add_all([site_a, site_b])
        ac = Product(sku="AC-15T", name="Split AC 1.5 ton", category="air_conditioner", warranty_months=12)
        wm = Product(sku="WM-7KG", name="Washing machine 7 kg", category="washing_machine", warranty_months=12)
        s.add_all([ac, wm])
        s.add_all([
            Part(sku="P-PUMP", name="Drain pump", unit_price=PUMP_PRICE, unit_cost=Decimal("150.00"),
                 tax_rate=Decimal("18.00"), stock_qty=PUMP_STOCK),
            Part(sku="P-FILTER", name="Air filter", unit_price=FILTER_PRICE, unit_cost=Decimal("60.00"),
                 tax_rate=Decimal("18.00"), stock_qty=FILTER_STOCK),
            ServiceCharge(code="VISIT", name="Service visit", unit_price=VISIT_PRICE, tax_rate=Decimal("18.00")),
        ])
        s.flush()
        old = today - timedelta(days=900)
        items = {
            "amc": Item(product_id=ac.id, serial="AC-AMC-1", customer_id=a.id, site_id=site_a.id, installed_on=old,
                        warranty_until=old + timedelta(days=365)),
            "none": Item(product_id=wm.id, serial="WM-NONE-1", customer_id=a.id, site_id=site_a.id, installed_on=old,
                         warranty_until=old + timedelta(days=365)),
            "cmc": Item(product_id=wm.id, serial="WM-CMC-2", customer_id=b.id, site_id=site_b.id, installed_on=old,
                        warranty_until=old + timedelta(days=365)),
        }
        s.add_all(items.values())
        s.flush()
        for number, cust, code, item in [(1, a, "AMC", items["amc"]), (2, b, "CMC", items["cmc"])]:
            ct = Contract(number=f"CT-{number:06d}", customer_id=cust.id, type_code=code, status="active",
                          starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=335))
            s.add(ct)
            s.flush()
            s.add(CoveredItem(contract_id=ct.id, item_id=item.id))
        users = {}
        for login, (role, cust) in LOGINS.items():
            cid = {"A": a.id, "B": b.id}.get(cust) if cust else None
            users[login] = User(email=f"{login}@fieldserv.test", name=login.title(), role=role, password_hash=pw,
                                customer_id=cid, phone=None)
            s.add(users[login])
        s.flush()
        return World(a.id, b.id, site_a.id, "AC-AMC-1", "WM-NONE-1", "WM-CMC-2", users["tech1"].id,
                     users["tech2"].id, {k: u.email for k, u in users.items()})
