"""Products, the installed base, parts with stock, and the labour price list;
maintaining them (admin and manager): create and edit products, parts and
charges, adjust stock with a reason, and the trail of those changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backend.api.responses import returns
from backend.api.routes.common import ALL_ROLES, CUSTOMER_AND_STAFF, STAFF
from backend.api.routing import RETRY, Call, RouteTable
from backend.api.schema import MAX_QTY, Bool, Date, Enum, Int, Num, Obj, Str
from backend.catalog import admin, items
from backend.catalog import service as catalog
from backend.history import service as history

routes = RouteTable("catalog")


@routes.get("/api/products", "Products", response=returns(catalog.list_products), roles=ALL_ROLES)
async def list_products(call: Call) -> Any:
    return await call(catalog.list_products)


@routes.get("/api/parts", "Spare parts with price and stock", query={"search": Str(max_len=100, nullable=True)},
            response=returns(catalog.list_parts), roles=("technician", *STAFF))
async def list_parts(call: Call) -> Any:
    return await call(catalog.list_parts, search=call.query["search"])


@routes.get("/api/items", "Installed items with serials (a customer sees their own)",
            query={"customer_id": Int(nullable=True)}, response=returns(catalog.list_items), roles=CUSTOMER_AND_STAFF)
async def list_items(call: Call) -> Any:
    return await call(catalog.list_items, customer_id=call.query["customer_id"])


SERIAL = {"serial": Str(max_len=items.MAX_SERIAL, description="The serial number printed on the product")}
ITEM_REFUSALS = ("Refused with 422 invalid_input naming details.field with details.reason (unknown_product, "
                 "not_this_customers_site, future_date, installed_before_purchase, bad_serial), or 409 duplicate when "
                 "the serial is already installed (details.existing: its owner's code, for staff).")


@routes.post("/api/items", "Register an installed item with its serial (a customer: their own; staff: anyone's)",
             status=201, roles=CUSTOMER_AND_STAFF, idempotent=True, response=returns(items.register_item),
             body=Obj(customer_id=Int(nullable=True, description="Whose item; a customer: themself (default)"),
                      product_sku=Str(max_len=40), serial=SERIAL["serial"], site_id=Int(nullable=True),
                      installed_on=Date(nullable=True), purchased_on=Date(nullable=True)),
             description="The manufacturer's warranty runs the product's warranty months from the purchase date "
                         "(else the installation date) and covers the item at once. " + ITEM_REFUSALS + " " + RETRY)
async def register_item(call: Call) -> Any:
    return await call(items.register_item, **call.body)


@routes.route("PATCH", "/api/items/{serial}", "Move an item to another site, or correct its dates (owner, staff)",
              params=SERIAL, roles=CUSTOMER_AND_STAFF, response=returns(items.update_item),
              body=Obj(site_id=Int(nullable=True), installed_on=Date(nullable=True), purchased_on=Date(nullable=True)),
              description="Only the fields given change; the warranty follows the dates. " + ITEM_REFUSALS)
async def update_item(call: Call) -> Any:
    return await call(items.update_item, serial=call.path["serial"], **call.body)


@routes.post("/api/items/{serial}/deactivate", "Take an item out of the installed base with the reason (owner, "
             "staff)", params=SERIAL, roles=CUSTOMER_AND_STAFF, body=Obj(reason=Str(max_len=200)),
             response=returns(items.deactivate_item),
             description="It no longer counts for cover; its serial may be registered again. Twice: 409 already_done.")
async def deactivate_item(call: Call) -> Any:
    return await call(items.deactivate_item, serial=call.path["serial"], **call.body)


@routes.get("/api/service-charges", "Labour price list (visit charge, bench fee…)",
            response=returns(catalog.list_service_charges), roles=ALL_ROLES)
async def list_service_charges(call: Call) -> Any:
    return await call(catalog.list_service_charges)


# --- maintaining the catalog (admin and manager) --------------------------------------------------

EDITORS = ("admin", "manager")
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
SKU = {"sku": Str(max_len=40, pattern=CODE_PATTERN, description="A product's or part's SKU, such as P-CAP-35UF")}
CHARGE_CODE = {"code": Str(max_len=40, pattern=CODE_PATTERN, description="A price-list code, such as VISIT")}


def Price(**kw: Any) -> Num:
    """Money that may be zero (a free part, a waived fee); never negative."""
    return Num(minimum=Decimal(0), maximum=admin.MAX_PRICE, places=2, exclusive_min=False, **kw)


def Tax(**kw: Any) -> Num:
    return Num(minimum=Decimal(0), maximum=Decimal(100), places=2, exclusive_min=False, **kw)


HSN = Str(max_len=8, nullable=True, default=None, description="HSN code of the part (4, 6 or 8 digits) as tax "
                                                               "invoices print it; on a change, null: unchanged")
SAC = Str(max_len=6, nullable=True, default=None, description="SAC of the service (6 digits from 99); none: 998715 "
                                                               "(appliance repair); on a change, null: unchanged")


def Level(**kw: Any) -> Num:
    return Num(minimum=Decimal(0), maximum=MAX_QTY, places=3, exclusive_min=False, **kw)


class SignedQty(Num):
    """A quantity that may be negative (stock taken out); never zero."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(minimum=-MAX_QTY, maximum=MAX_QTY, places=3, exclusive_min=False, **kw)

    def json_schema(self) -> dict[str, Any]:
        number = {"type": "number", "minimum": float(-MAX_QTY), "maximum": float(MAX_QTY), "multipleOf": 0.001}
        text = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,3})?$"}
        return {"anyOf": [number, text]}


NAME = Str(max_len=160)
CATEGORY = Str(max_len=60)
MONTHS = Int(minimum=0, maximum=admin.MAX_WARRANTY_MONTHS)


@routes.post("/api/products", "Add a product (admin, manager)", status=201, roles=EDITORS,
             body=Obj(sku=SKU["sku"], name=NAME, category=CATEGORY, warranty_months=Int(
                 minimum=0, maximum=admin.MAX_WARRANTY_MONTHS, default=12)),
             response=returns(admin.create_product))
async def create_product(call: Call) -> Any:
    return await call(admin.create_product, **call.body)


@routes.post("/api/products/{sku}", "Change a product's name, category or warranty (admin, manager)",
             params=SKU, roles=EDITORS, response=returns(admin.edit_product),
             body=Obj(name=Str(max_len=160, nullable=True), category=Str(max_len=60, nullable=True),
                      warranty_months=Int(minimum=0, maximum=admin.MAX_WARRANTY_MONTHS, nullable=True)))
async def edit_product(call: Call) -> Any:
    return await call(admin.edit_product, sku=call.path["sku"], **call.body)


@routes.get("/api/stock", "Parts with cost, stock and reorder level (admin, manager)", roles=EDITORS,
            query={"to_reorder": Bool(default=False, description="only parts at or below their reorder level")},
            response=returns(admin.list_part_records))
async def list_stock(call: Call) -> Any:
    return await call(admin.list_part_records, to_reorder=call.query["to_reorder"])


@routes.post("/api/parts", "Add a part with its prices and opening stock (admin, manager)", status=201,
             roles=EDITORS, response=returns(admin.create_part),
             body=Obj(sku=SKU["sku"], name=NAME, unit_price=Price(), unit_cost=Price(),
                      tax_rate=Tax(default=Decimal("18.00")), reorder_level=Level(default=Decimal(0)),
                      opening_stock=Level(default=Decimal(0)), hsn_code=HSN))
async def create_part(call: Call) -> Any:
    return await call(admin.create_part, **call.body)


@routes.post("/api/parts/{sku}", "Change a part's name, prices or reorder level (admin, manager)", params=SKU,
             roles=EDITORS, response=returns(admin.edit_part),
             body=Obj(name=Str(max_len=160, nullable=True), unit_price=Price(nullable=True),
                      unit_cost=Price(nullable=True), tax_rate=Tax(nullable=True), reorder_level=Level(nullable=True),
                      hsn_code=HSN))
async def edit_part(call: Call) -> Any:
    return await call(admin.edit_part, sku=call.path["sku"], **call.body)


@routes.post("/api/parts/{sku}/stock-adjustments", "Add or take stock with a reason (admin, manager)",
             params=SKU, roles=EDITORS, response=returns(admin.adjust_stock),
             body=Obj(change=SignedQty(description="positive adds stock, negative takes it; never below zero"),
                      reason=Str(max_len=200)),
             description="Refused with 422 out_of_stock when the stock would go below zero.")
async def adjust_stock(call: Call) -> Any:
    return await call(admin.adjust_stock, sku=call.path["sku"], **call.body)


@routes.post("/api/service-charges", "Add a price-list entry (admin, manager)", status=201, roles=EDITORS,
             body=Obj(code=CHARGE_CODE["code"], name=NAME, unit_price=Price(), tax_rate=Tax(default=Decimal("18.00")),
                      sac_code=SAC, requires_signature=Bool(default=False, description="A job of this charge is "
                                                            "completed only with the customer's signature")),
             response=returns(admin.create_service_charge))
async def create_service_charge(call: Call) -> Any:
    return await call(admin.create_service_charge, **call.body)


@routes.post("/api/service-charges/{code}", "Change a price-list entry (admin, manager)", params=CHARGE_CODE,
             roles=EDITORS, response=returns(admin.edit_service_charge),
             body=Obj(name=Str(max_len=160, nullable=True), unit_price=Price(nullable=True), tax_rate=Tax(nullable=True),
                      sac_code=SAC, requires_signature=Bool(nullable=True)))
async def edit_service_charge(call: Call) -> Any:
    return await call(admin.edit_service_charge, code=call.path["code"], **call.body)


@routes.get("/api/changes", "The latest changes to the catalog, contract types and desk settings (admin, manager)",
            roles=EDITORS, response=returns(history.recent_changes),
            query={"kind": Enum(*history.ADMIN_KINDS, nullable=True), "limit": Int(maximum=200, default=50)})
async def recent_changes(call: Call) -> Any:
    kind = call.query["kind"]
    return await call(history.recent_changes, kinds=[kind] if kind else history.ADMIN_KINDS,
                      limit=call.query["limit"])
