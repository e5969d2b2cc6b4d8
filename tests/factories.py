"""Test data: a small world of people, products, covers and stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from backend.catalog.models import Item, Part, Product, ServiceCharge
from backend.coverage.models import Contract, CoveredItem
from backend.customers.models import Customer, Site
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import Role, User

PASSWORD = "secret-pass-1"
_HASH = None


def _pw() -> str:
    global _HASH
    if _HASH is None:
        from backend.identity.passwords import hash_password

        _HASH = hash_password(PASSWORD)
    return _HASH


@dataclass
class World:
    today: date
    admin: Actor
    manager: Actor
    agent: Actor
    tech: Actor
    tech2: Actor
    alice: Actor  # customer with CMC (washer), AMC (AC) and an uncovered TV
    bob: Actor  # another customer
    alice_site: int
    bob_site: int
    emails: dict[str, str]
    booked: int = 0

    def next_slot(self) -> tuple[datetime, datetime]:
        """A fresh two-hour slot each call, so scheduled jobs never clash."""
        self.booked += 1
        return self.slot(days=1 + self.booked // 4, hour=8 + 3 * (self.booked % 4))

    def slot(self, days: int = 1, hour: int = 10, hours: int = 2) -> tuple[datetime, datetime]:
        start = datetime.combine(self.today + timedelta(days=days), time(hour, 0), timezone.utc)
        return start, start + timedelta(hours=hours)


CMC_SERIAL = "WM-CMC-1"
AMC_SERIAL = "AC-AMC-1"
NOCOVER_SERIAL = "TV-NONE-1"
WARRANTY_SERIAL = "RF-WTY-1"
BOB_SERIAL = "WM-BOB-1"
VISIT_PRICE = Decimal("500.00")
PUMP = ("P-PUMP", Decimal("1000.00"), Decimal("600.00"), Decimal("5"))
BELT = ("P-BELT", Decimal("200.00"), Decimal("80.00"), Decimal("2"))


def build_world(uow: UnitOfWork, today: date | None = None) -> World:
    today = today or date.today()
    with uow() as s:
        alice_c = Customer(code="C-A", name="Alice", email="alice@example.com", phone="+1 555 0100")
        bob_c = Customer(code="C-B", name="Bob", email="bob@example.com", phone="+1 555 0200")
        s.add_all([alice_c, bob_c])
        s.flush()
        a_site = Site(customer_id=alice_c.id, name="Home", address="1 Elm St")
        b_site = Site(customer_id=bob_c.id, name="Home", address="2 Oak St")
        s.add_all([a_site, b_site])
        s.flush()
        users = {}
        for key, role, cid in [("admin", Role.ADMIN, None), ("manager", Role.MANAGER, None), ("agent", Role.AGENT, None),
                               ("tech", Role.TECHNICIAN, None), ("tech2", Role.TECHNICIAN, None),
                               ("alice", Role.CUSTOMER, alice_c.id), ("bob", Role.CUSTOMER, bob_c.id)]:
            u = User(email=f"{key}@example.com", name=key.capitalize(), role=role, password_hash=_pw(),
                     customer_id=cid, phone=None)
            s.add(u)
            s.flush()
            users[key] = Actor(role, u.id, cid, u.name, "portal")
        washer = Product(sku="WM", name="Washer", category="washing_machine")
        tv = Product(sku="TV", name="TV", category="television")
        s.add_all([washer, tv])
        s.flush()

        def item(serial, product, cust, site, warranty=None):
            it = Item(product_id=product.id, serial=serial, customer_id=cust.id, site_id=site.id,
                      installed_on=today - timedelta(days=900), warranty_until=warranty)
            s.add(it)
            s.flush()
            return it

        cmc_item = item(CMC_SERIAL, washer, alice_c, a_site)
        amc_item = item(AMC_SERIAL, washer, alice_c, a_site)
        item(NOCOVER_SERIAL, tv, alice_c, a_site)
        item(WARRANTY_SERIAL, washer, alice_c, a_site, warranty=today + timedelta(days=30))
        item(BOB_SERIAL, washer, bob_c, b_site)
        for n, (code, it) in enumerate([("CMC", cmc_item), ("AMC", amc_item)], start=1):
            ct = Contract(number=f"CT-T{n}", customer_id=alice_c.id, type_code=code, status="active",
                          starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=300))
            s.add(ct)
            s.flush()
            s.add(CoveredItem(contract_id=ct.id, item_id=it.id))
        for sku, price, cost, qty in (PUMP, BELT):
            s.add(Part(sku=sku, name=sku, unit_price=price, unit_cost=cost, tax_rate=Decimal("18.00"), stock_qty=qty))
        s.add(ServiceCharge(code="VISIT", name="Visit", unit_price=VISIT_PRICE, tax_rate=Decimal("18.00")))
    return World(today, users["admin"], users["manager"], users["agent"], users["tech"], users["tech2"],
                 users["alice"], users["bob"], a_site.id, b_site.id,
                 {k: f"{k}@example.com" for k in users})
