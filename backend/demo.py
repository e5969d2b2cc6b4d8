"""A small, realistic demo world, loaded once by ``make run``.

Built through the same use cases as real traffic where a use case exists,
so its history, vouchers and notices are what the system itself would write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from backend.catalog.hsn import SERVICE_SAC
from backend.catalog.models import Item, Part, Product, ServiceCharge
from backend.coverage.models import Contract, CoveredItem
from backend.customers.models import Contact, Customer, Site
from backend.coverage.visits import plan_visits
from backend.db import UnitOfWork
from backend.references import assign_number
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.identity.passwords import hash_password

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    name: str


LOGINS = [
    DemoLogin("admin", "admin@fieldserv.test", "Aditi Rao"),
    DemoLogin("manager", "manager@fieldserv.test", "Meera Iyer"),
    DemoLogin("agent", "agent@fieldserv.test", "Arjun Shah"),
    DemoLogin("agent", "agent2@fieldserv.test", "Neha Gupta"),
    DemoLogin("technician", "tech@fieldserv.test", "Vikram Singh"),
    DemoLogin("technician", "tech2@fieldserv.test", "Sunil Das"),
    DemoLogin("customer", "asha@example.com", "Asha Mehta"),
    DemoLogin("customer", "ravi@example.com", "Ravi Kumar"),
    DemoLogin("customer", "orders@greenleafcafe.example", "Greenleaf Cafe"),
]

PRODUCTS = [
    ("WM-7KG", "Front-load washing machine 7 kg", "washing_machine", 24),
    ("AC-15T", "Split air conditioner 1.5 ton", "air_conditioner", 12),
    ("RF-300L", "Frost-free refrigerator 300 L", "refrigerator", 12),
    ("MW-25L", "Convection microwave 25 L", "microwave", 12),
    ("TV-55", "LED television 55 inch", "television", 12),
]

PARTS = [
    ("P-DRAIN-PUMP", "Drain pump (washing machine)", "1450.00", "900.00", 12),
    ("P-DOOR-GASKET", "Door gasket (washing machine)", "1200.00", "700.00", 8),
    ("P-CAP-35UF", "Run capacitor 35 uF (AC)", "650.00", "300.00", 25),
    ("P-GAS-R32", "Refrigerant R32 top-up (per kg)", "1800.00", "1100.00", 30),
    ("P-PCB-WM", "Control board (washing machine)", "5400.00", "3600.00", 3),
    ("P-THERMOSTAT", "Thermostat (refrigerator)", "950.00", "500.00", 10),
    ("P-MAGNETRON", "Magnetron (microwave)", "2600.00", "1700.00", 4),
    ("P-FILTER-AC", "Air filter set (AC)", "400.00", "150.00", 40),
]
# HSN codes of the parts (6 digits, the Harmonised System subheading).
HSN = {
    "P-DRAIN-PUMP": "841370",  # other centrifugal pumps for liquids
    "P-DOOR-GASKET": "401693",  # gaskets, washers and other seals of vulcanised rubber
    "P-CAP-35UF": "853225",  # fixed capacitors, dielectric of paper or plastics
    "P-GAS-R32": "290339",  # fluorinated derivatives of acyclic hydrocarbons (difluoromethane)
    "P-PCB-WM": "853710",  # boards and panels for electric control, up to 1,000 V
    "P-THERMOSTAT": "903210",  # thermostats
    "P-MAGNETRON": "854071",  # magnetrons
    "P-FILTER-AC": "842139",  # filtering or purifying machinery for gases, other
}
# GST registration of the demo customers: Asha is a consumer in Maharashtra (the company's state: CGST +
# SGST), Greenleaf Cafe a registered firm in Maharashtra (B2B, CGST + SGST), and Ravi a registered
# proprietor in Karnataka (B2B across states: IGST).
GST = {"C-0001": (None, "27"), "C-0002": ("29ABCPK7310M1ZH", "29"), "C-0003": ("27AAGFG4821K1ZA", "27")}


def load(uow: UnitOfWork, *, today: date | None = None) -> list[DemoLogin]:
    """Load once: returns the logins, or [] when the demo world already exists."""
    today = today or date.today()
    with uow() as s:
        if s.scalar(select(User.id).where(User.email == LOGINS[0].email)):
            return []
        customers = {}
        for code, name, email, phone, city, address in [
            ("C-0001", "Asha Mehta", "asha@example.com", "+919820011111", "Mumbai", "12 Palm Grove, Bandra West"),
            ("C-0002", "Ravi Kumar", "ravi@example.com", "+919845022222", "Bengaluru", "44 3rd Cross, Indiranagar"),
            ("C-0003", "Greenleaf Cafe", "orders@greenleafcafe.example", "+912240003333", "Mumbai",
             "Shop 3, Hill Road, Bandra West"),
        ]:
            c = Customer(code=code, name=name, email=email, phone=phone, gstin=GST[code][0], state_code=GST[code][1],
                         kind="business" if GST[code][0] else "person")  # phone: the mobile in E.164
            s.add(c)
            s.flush()
            site = Site(customer_id=c.id, name="Main", address=address, city=city)
            s.add(site)
            s.add(Contact(customer_id=c.id, name=name, email=email, phone=phone))
            s.flush()
            customers[code] = (c, site)
        pw = hash_password(DEMO_PASSWORD)
        cust_of = {"asha@example.com": "C-0001", "ravi@example.com": "C-0002",
                   "orders@greenleafcafe.example": "C-0003"}
        for login in LOGINS:
            cid = customers[cust_of[login.email]][0].id if login.role == Role.CUSTOMER else None
            s.add(User(email=login.email, name=login.name, role=login.role, password_hash=pw, customer_id=cid,
                       phone="+91 90000 0000" + str(LOGINS.index(login)), max_chats=3))
        products = {}
        for sku, name, cat, months in PRODUCTS:
            products[sku] = Product(sku=sku, name=name, category=cat, warranty_months=months)
            s.add(products[sku])
        for sku, name, price, cost, qty in PARTS:
            s.add(Part(sku=sku, name=name, unit_price=Decimal(price), unit_cost=Decimal(cost),
                       tax_rate=Decimal("18.00"), stock_qty=Decimal(qty), hsn_code=HSN[sku]))
        s.add(ServiceCharge(code="VISIT", name="Service visit (labour)", unit_price=Decimal("499.00"),
                            tax_rate=Decimal("18.00"), sac_code=SERVICE_SAC))
        s.add(ServiceCharge(code="BENCH", name="Workshop bench fee", unit_price=Decimal("299.00"),
                            tax_rate=Decimal("18.00"), sac_code=SERVICE_SAC))
        s.flush()

        def item(serial, sku, cust, installed_days_ago, warranty_days_left=None):
            c, site = customers[cust]
            it = Item(product_id=products[sku].id, serial=serial, customer_id=c.id, site_id=site.id,
                      installed_on=today - timedelta(days=installed_days_ago),
                      warranty_until=(today + timedelta(days=warranty_days_left)) if warranty_days_left else
                      today - timedelta(days=installed_days_ago - 365))
            s.add(it)
            s.flush()
            return it

        wm = item("WM7-2023-0001", "WM-7KG", "C-0001", 800)
        ac = item("AC15-2022-0042", "AC-15T", "C-0001", 1100)
        item("RF300-2025-0007", "RF-300L", "C-0002", 90, warranty_days_left=275)
        item("TV55-2020-0100", "TV-55", "C-0002", 2000)
        cafe_ac = item("AC15-2021-0311", "AC-15T", "C-0003", 1500)
        item("MW25-2024-0050", "MW-25L", "C-0003", 400)
        for cust, type_code, items, number in [("C-0001", "CMC", [wm], 1), ("C-0001", "AMC", [ac], 2),
                                               ("C-0003", "AMC", [cafe_ac], 3)]:
            ct = Contract(customer_id=customers[cust][0].id, type_code=type_code, site_id=customers[cust][1].id,
                          starts_on=today - timedelta(days=120), ends_on=today + timedelta(days=245), status="active",
                          value=Decimal("6000.00") if type_code == "AMC" else Decimal("9500.00"),
                          visits_per_year=4, instalments=2)
            s.add(ct)
            assign_number(s, ct, "CT")
            for it in items:
                s.add(CoveredItem(contract_id=ct.id, item_id=it.id))
            s.flush()
            plan_visits(s, ct)
    _history(uow, today)
    return LOGINS


def _history(uow: UnitOfWork, today: date) -> None:
    """A few requests at different points of their lives."""
    from backend.intake import service as intake
    from backend.jobs import service as jobs

    with uow() as s:
        ids = {u.email: (u.id, u.customer_id, u.name, u.role) for u in s.scalars(select(User))}

    def actor(email: str, channel: str = "portal") -> Actor:
        uid, cid, name, role = ids[email]
        return Actor(Role(role), uid, cid, name, channel)

    agent, tech = actor("agent@fieldserv.test"), actor("tech@fieldserv.test", "mobile")
    asha, ravi = actor("asha@example.com", "chat"), actor("ravi@example.com")
    tomorrow = datetime.combine(today + timedelta(days=1), time(10, 0), timezone.utc)

    covered = intake.raise_request(uow, asha, want="service", serial="WM7-2023-0001",
                                   problem="Drum does not spin and the machine shows error E21.",
                                   idempotency_key="demo-1")
    jobs.schedule_job(uow, agent, job_ref=covered.job_number, technician_id=tech.user_id,
                      start=tomorrow, end=tomorrow + timedelta(hours=2))
    billable = intake.raise_request(uow, ravi, want="service", serial="TV55-2020-0100",
                                    problem="No picture, sound works.", idempotency_key="demo-2")
    jobs.schedule_job(uow, agent, job_ref=billable.job_number, technician_id=tech.user_id,
                      start=tomorrow + timedelta(hours=3), end=tomorrow + timedelta(hours=5))
    jobs.confirm_job(uow, tech, job_ref=billable.job_number)
    intake.raise_request(uow, ravi, want="question", problem="How often should the refrigerator be defrosted?",
                         idempotency_key="demo-3")
    from backend.coverage import service as contracts
    from backend.processes.contract_visits import schedule_due_visits
    from backend.orders import service as orders
    from backend.repairs import service as repairs

    schedule_due_visits(uow, as_of=today, horizon_days=30)  # the delivery plan's next visits become jobs
    cafe = actor("orders@greenleafcafe.example", "portal")
    inquiry = intake.raise_request(uow, cafe, want="contract", serial="MW25-2024-0050", contract_type="CMC",
                                   problem="Please quote a CMC for our microwave.", idempotency_key="demo-4")
    contracts.send_offer(uow, agent, contract_ref=inquiry.contract_number, amount="3200", starts_on=today,
                         ends_on=today + timedelta(days=364), visits_per_year=2, instalments=1, type_code="CMC")
    repair = intake.raise_request(uow, ravi, want="repair", serial="TV55-2020-0100",
                                  problem="Brought in: the screen flickers after ten minutes.", idempotency_key="demo-5")
    repairs.assign_repair(uow, agent, repair_ref=repair.repair_number, technician_id=ids["tech2@fieldserv.test"][0])
    order = orders.create_service_order(uow, agent, customer_id=ids["asha@example.com"][1],
                                        description="Wall-mount installation of a second AC unit",
                                        lines=[{"code": "VISIT", "qty": 2}])
    orders.invoice_service_order(uow, agent, order_ref=order.number)
    # Ravi is registered in Karnataka, so his order's tax invoice charges IGST (Asha's: CGST + SGST)
    order = orders.create_service_order(uow, agent, customer_id=ids["ravi@example.com"][1],
                                        description="Deep cleaning and gas check of the refrigerator",
                                        lines=[{"code": "VISIT", "qty": 1}])
    orders.invoice_service_order(uow, agent, order_ref=order.number)
    from backend.banking.statements import save_bank_format

    # The CSV exports of two common banks, so a statement can be imported on the first day
    # (an agent saves other banks' mappings on the reconciliation page).
    save_bank_format(uow, agent, name="HDFC Bank (CSV)", date_column="Date", date_format="%d/%m/%y",
                     credit_column="Deposit Amt.", debit_column="Withdrawal Amt.", reference_column="Chq./Ref.No.",
                     narration_column="Narration")
    save_bank_format(uow, agent, name="SBI (CSV)", date_column="Txn Date", date_format="%d %b %Y",
                     credit_column="Credit", debit_column="Debit", reference_column="Ref No./Cheque No.",
                     narration_column="Description")
