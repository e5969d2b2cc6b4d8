"""An imported customer, site, contact and item are the same records, with the
same history notes, as the desk's single-record use cases make from the same
input (the import checks with their functions and writes in batches); and the
command line imports and reports."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backend.catalog.items import register_item
from backend.catalog.models import Item
from backend.cli import main
from backend.customers.models import Contact, Customer, Site
from backend.customers.service import add_contact, add_site, create_customer
from backend.history.models import StateChange
from backend.processes.master_import import import_master_data
from tests.factories import build_world

from .helpers import counts, rows, to_csv

FIELDS = {Customer: ("name", "kind", "phone", "email", "gstin", "state_code", "language", "active"),
          Site: ("name", "address", "city", "pin_code", "active"),
          Contact: ("name", "phone", "email", "active"),
          Item: ("serial", "product_id", "installed_on", "purchased_on", "warranty_until", "active")}


def _snapshot(s, customer: Customer) -> list:
    out = [tuple(getattr(customer, f) for f in FIELDS[Customer])]
    records = [customer]
    for model in (Site, Contact, Item):
        found = list(s.scalars(select(model).where(model.customer_id == customer.id).order_by(model.id)))
        records += found
        out += [tuple(getattr(r, f) for f in FIELDS[model]) for r in found]
    notes = []
    for r in records:
        kind = {Customer: "customer", Site: "site", Contact: "contact", Item: "item"}[type(r)]
        for c in s.scalars(select(StateChange).where(StateChange.entity_type == kind,
                                                     StateChange.entity_id == r.id)):
            notes.append((kind, c.to_state, c.note.replace(customer.code, "<code>"), c.actor_role))
    return out + sorted(notes)


def test_an_imported_customer_is_what_the_desk_would_have_made(any_uow):
    world = build_world(any_uow)
    desk = create_customer(any_uow, world.admin, name="Sunrise Foods", kind="business", mobile="98200 11111",
                           email="Accounts@Sunrise.example", gstin="27AAPFU0939F1ZV", state_code="27")
    site = add_site(any_uow, world.admin, customer_id=desk.id, name="Plant 1", address="Plot 7, MIDC", city="Pune",
                    pin_code="411019")
    add_contact(any_uow, world.admin, customer_id=desk.id, name="R. Kulkarni", mobile="98200 33333")
    register_item(any_uow, world.admin, customer_id=desk.id, product_sku="wm", serial="sn 2001", site_id=site.id,
                  installed_on=date(2025, 1, 15), purchased_on=date(2025, 1, 10))
    with any_uow() as s:
        by_desk = _snapshot(s, s.get(Customer, desk.id))
        s.get(Customer, desk.id).active = False  # so the import may use the same mobile and e-mail
        s.execute(Item.__table__.update().where(Item.customer_id == desk.id).values(serial="OLD-2001"))

    header = "customer_ref,kind,name,mobile,email,gstin,state_code,site_name,address,city,pin_code," \
             "contact_name,contact_mobile,product_sku,serial,installed_on,purchased_on\n"
    line = 'S1,business,Sunrise Foods,98200 11111,Accounts@Sunrise.example,27AAPFU0939F1ZV,27,Plant 1,' \
           '"Plot 7, MIDC",Pune,411019,R. Kulkarni,98200 33333,wm,sn 2001,15/01/2025,2025-01-10\n'
    report = import_master_data(any_uow, world.admin, data=(header + line).encode(), file_name="one.csv")
    assert report.written, report.problems
    with any_uow() as s:
        imported = s.scalar(select(Customer).where(Customer.code == report.customer_codes[0]))
        assert _snapshot(s, imported) == by_desk


def test_the_command_line_checks_then_imports(sqlite_url, tmp_path, monkeypatch, capsys):
    from backend.db import UnitOfWork, make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    uow = UnitOfWork(make_session_factory(engine))
    build_world(uow)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    records = rows(3)
    records[0]["pin_code"] = "12"
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(to_csv(records))
    good.write_bytes(to_csv(rows(3)))
    before = counts(uow)

    assert main(["import-customers", str(bad)]) == 1
    out = capsys.readouterr()
    assert "row 2, pin_code: invalid_input (bad_pin_code)" in out.out and "nothing was imported" in out.out
    assert main(["import-customers", str(good), "--dry-run"]) == 0
    assert "(dry run) 12 rows checked: 3 customers" in capsys.readouterr().out
    assert counts(uow) == before
    assert main(["import-customers", str(good)]) == 0
    out = capsys.readouterr()
    assert "12 rows imported: 3 customers, 6 sites, 3 contacts, 12 items created" in out.out
    assert "12 of 12 rows (100 %)" in out.err
    assert counts(uow)["customers"] == before["customers"] + 3
    engine.dispose()
