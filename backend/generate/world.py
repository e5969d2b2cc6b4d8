"""The people and things of a generated world: staff, customers with sites and
installed items (serials, warranties), products, spare parts and the price
list. Sizes scale with the number of jobs asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from backend.generate.book import m
from backend.generate.sink import Sink

CATEGORIES = {
    "washing_machine": ("Washing machine", ["Drain pump", "Door gasket", "Control board", "Drum bearing", "Inlet valve"],
                        ["Drum does not spin", "Water leaks from the door", "Error E21 on the display",
                         "Does not drain", "Loud noise while spinning"]),
    "air_conditioner": ("Air conditioner", ["Run capacitor", "Refrigerant top-up", "Air filter set", "Fan motor",
                                            "Remote sensor"],
                        ["Not cooling", "Water drips from the indoor unit", "Trips the breaker",
                         "Bad smell when running", "Remote does not work"]),
    "refrigerator": ("Refrigerator", ["Thermostat", "Defrost heater", "Door seal", "Compressor relay", "Fan motor"],
                     ["Not cooling enough", "Ice builds up in the freezer", "Door does not close",
                      "Clicking noise", "Light stays off"]),
    "microwave": ("Microwave oven", ["Magnetron", "Door switch", "Turntable motor", "Fuse kit"],
                  ["Does not heat", "Sparks inside", "Turntable does not turn", "Display is blank"]),
    "television": ("Television", ["Power board", "Backlight strip", "T-con board", "Remote control"],
                   ["No picture, sound works", "Does not switch on", "Lines across the screen",
                    "Remote does not work"]),
    "water_purifier": ("Water purifier", ["RO membrane", "Carbon filter", "UV lamp", "Booster pump"],
                       ["Water tastes bad", "Slow flow", "Leaks under the unit", "Beeps continuously"]),
}
CITIES = ["Mumbai", "Pune", "Bengaluru", "Chennai", "Hyderabad", "Delhi", "Kolkata", "Ahmedabad", "Jaipur", "Kochi"]
FIRST = ["Asha", "Ravi", "Meera", "Arjun", "Neha", "Vikram", "Sunil", "Priya", "Kiran", "Anil", "Deepa", "Rahul",
         "Sneha", "Manoj", "Divya", "Suresh", "Pooja", "Ajay", "Lata", "Rohan"]
LAST = ["Mehta", "Kumar", "Iyer", "Shah", "Gupta", "Singh", "Das", "Rao", "Nair", "Patel", "Reddy", "Joshi",
        "Menon", "Bose", "Kapoor", "Pillai"]
VISIT_CENTS, BENCH_CENTS = 49900, 29900


@dataclass
class World:
    admin: int
    managers: list[int]
    agents: list[int]
    technicians: list[int]
    customer_login: dict[int, int]  # customer id -> user id (a few customers have portal logins)
    customers: list[int]
    sites_of: dict[int, list[int]]
    items: list[int]
    item_customer: dict[int, int]
    item_site: dict[int, int]
    item_category: dict[int, str]
    item_warranty: dict[int, date]
    items_of: dict[int, list[int]]
    parts_of: dict[str, list[tuple[int, int, int]]]  # category -> (part id, price cents, cost cents)
    all_parts: list[tuple[int, int, int]]
    product_name: dict[str, str] = field(default_factory=dict)


def sizes(jobs: int) -> dict[str, int]:
    return {
        "technicians": max(3, jobs // 2000),
        "agents": max(2, jobs // 40000),
        "customers": max(6, jobs // 8),
    }


def build(sink: Sink, rnd, *, jobs: int, today: date, password_hash: str) -> World:
    n = sizes(jobs)
    created = datetime.combine(today - timedelta(days=1500), time(9), timezone.utc)

    def user(role: str, name: str, customer_id: int | None = None) -> int:
        uid = sink.next_id("users")
        sink.add("users", (uid, f"{role}{uid}@gen.fieldserv.test", name, f"+91 90{uid:08d}", role, password_hash,
                           customer_id, 3, True, created))
        return uid

    def person() -> str:
        return f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"

    admin = user("admin", person())
    managers = [user("manager", person()) for _ in range(2)]
    agents = [user("agent", person()) for _ in range(n["agents"])]
    technicians = [user("technician", person()) for _ in range(n["technicians"])]

    products: dict[str, list[int]] = {}
    product_name: dict[str, str] = {}
    for cat, (label, _, _) in CATEGORIES.items():
        for model in range(1, 5):
            pid = sink.next_id("products")
            name = f"{label} model {chr(64 + model)}{pid}"
            sink.add("products", (pid, f"G-{pid:05d}", name, cat, rnd.choice((12, 12, 24, 36))))
            products.setdefault(cat, []).append(pid)
            product_name[cat] = label
    parts_of: dict[str, list[tuple[int, int, int]]] = {}
    for cat, (_, part_names, _) in CATEGORIES.items():
        for name in part_names:
            pid = sink.next_id("parts")
            cost = rnd.randrange(100, 4000) * 100
            price = cost * rnd.choice((140, 150, 160, 175)) // 100 // 100 * 100
            sink.add("parts", (pid, f"GP-{pid:05d}", f"{name} ({CATEGORIES[cat][0].lower()})", m(price), m(cost),
                               "18.00", str(rnd.randrange(20, 500))))
            parts_of.setdefault(cat, []).append((pid, price, cost))
    have = {code for (code,) in sink.query("SELECT code FROM service_charges")}
    for code, name, cents in (("VISIT", "Service visit (labour)", VISIT_CENTS),
                              ("BENCH", "Workshop bench fee", BENCH_CENTS)):
        if code not in have:
            sink.add("service_charges", (sink.next_id("service_charges"), code, name, m(cents), "18.00"))

    customers, sites_of, items_of = [], {}, {}
    items, item_customer, item_site, item_category, item_warranty = [], {}, {}, {}, {}
    customer_login = {}
    for i in range(n["customers"]):
        cid = sink.next_id("customers")
        business = rnd.random() < 0.2
        name = f"{rnd.choice(LAST)} {rnd.choice(('Traders', 'Cafe', 'Clinic', 'Foods', 'Textiles'))}" if business \
            else person()
        sink.add("customers", (cid, f"GC-{cid:07d}", name, f"c{cid}@customers.example", f"+91 98{cid:08d}", created))
        customers.append(cid)
        city = rnd.choice(CITIES)
        site_ids = []
        for k in range(2 if business or rnd.random() < 0.1 else 1):
            sid = sink.next_id("sites")
            sink.add("sites", (sid, cid, "Main" if k == 0 else f"Branch {k}",
                               f"{rnd.randrange(1, 300)} {rnd.choice(LAST)} Road", city))
            site_ids.append(sid)
        sites_of[cid] = site_ids
        own = []
        for _ in range(rnd.choice((1, 1, 2, 2, 2, 3)) + (2 if business else 0)):
            iid = sink.next_id("items")
            cat = rnd.choice(list(CATEGORIES))
            pid = rnd.choice(products[cat])
            installed = today - timedelta(days=rnd.randrange(30, 2500))
            warranty = installed + timedelta(days=365 * rnd.choice((1, 1, 2, 3)))
            site = rnd.choice(site_ids)
            sink.add("items", (iid, pid, f"SN{cat[:2].upper()}-{iid:08d}", cid, site, installed, warranty))
            items.append(iid)
            own.append(iid)
            item_customer[iid], item_site[iid], item_category[iid], item_warranty[iid] = cid, site, cat, warranty
        items_of[cid] = own
        if i < 20:
            customer_login[cid] = user("customer", name, cid)
    all_parts = [p for ps in parts_of.values() for p in ps]
    return World(admin, managers, agents, technicians, customer_login, customers, sites_of, items, item_customer,
                 item_site, item_category, item_warranty, items_of, parts_of, all_parts, product_name)


def accounts(sink: Sink) -> dict[str, int]:
    return dict(sink.query("SELECT code, id FROM accounts"))
