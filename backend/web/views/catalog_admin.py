"""The catalog for the admin and the manager: products, parts (prices, cost,
reorder level, stock adjustments with a reason) and the labour price list,
each added and edited on its own form; the latest changes from the history."""

from __future__ import annotations

from aiohttp import web

from backend.catalog import admin as catalog_admin
from backend.catalog import service as catalog
from backend.errors import DomainError
from backend.history import service as history
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.web.kit import (
    call,
    error_status,
    field_errors,
    form_of,
    page,
    parse_int,
    redirect,
    render,
    text,
)

routes = web.RouteTableDef()
editors = page(Role.ADMIN, Role.MANAGER)
CATALOG_KINDS = ("product", "part", "service_charge")


# One form per kind of record: (name, label, attributes) of each field; the
# key field (SKU or code) is typed when adding and shown when editing.
NUMBER = 'inputmode="decimal"'
WHOLE = 'inputmode="numeric"'
KINDS = {
    "product": {
        "title": "product", "key": "sku", "key_label": "SKU",
        "fields": [("name", "Name", ""), ("category", "Category (e.g. air_conditioner)", ""),
                   ("warranty_months", "Warranty (months)", WHOLE)],
        "defaults": {"warranty_months": "12"},
    },
    "part": {
        "title": "part", "key": "sku", "key_label": "Part number",
        "fields": [("name", "Name", ""), ("unit_price", "Price", NUMBER), ("unit_cost", "Cost", NUMBER),
                   ("tax_rate", "Tax %", NUMBER), ("reorder_level", "Reorder at (0: not watched)", NUMBER),
                   ("hsn_code", "HSN code (4, 6 or 8 digits)", WHOLE)],
        "new_fields": [("opening_stock", "Opening stock", NUMBER)],
        "defaults": {"tax_rate": "18.00", "reorder_level": "0", "opening_stock": "0"},
    },
    "charge": {
        "title": "price-list entry", "key": "code", "key_label": "Code",
        "fields": [("name", "Name", ""), ("unit_price", "Price", NUMBER), ("tax_rate", "Tax %", NUMBER),
                   ("sac_code", "SAC (blank: 998715, appliance repair)", WHOLE)],
        "checks": [("requires_signature", "A job of this charge is completed only with the customer's signature")],
        "defaults": {"tax_rate": "18.00"},
    },
}
CREATE = {"product": catalog_admin.create_product, "part": catalog_admin.create_part,
          "charge": catalog_admin.create_service_charge}
EDIT = {"product": catalog_admin.edit_product, "part": catalog_admin.edit_part,
        "charge": catalog_admin.edit_service_charge}



def _names(kind: str, *, new: bool) -> list[str]:
    spec = KINDS[kind]
    names = [name for name, _label, _attrs in spec["fields"]] + [name for name, _label in spec.get("checks", [])]
    if new:
        names = [spec["key"], *names, *[n for n, _l, _a in spec.get("new_fields", [])]]
    return names


def _arguments(kind: str, kept: dict[str, str]) -> dict:
    """The use case's keyword arguments from the typed text; numbers are
    checked by the core (with the same codes as the API)."""
    args = dict(kept)
    for name, _label in KINDS[kind].get("checks", []):  # a checkbox: sent when ticked
        args[name] = bool(args.get(name))
    if "warranty_months" in args:
        args["warranty_months"] = parse_int(args["warranty_months"], "warranty_months", positive=False)
    return args


# --- the list -------------------------------------------------------------------------------------

@routes.get("/x/catalog", name="x_catalog")
@editors
async def catalog_page(request: web.Request, actor: Actor) -> web.Response:
    products = await call(request, catalog_admin.list_product_records, actor)
    parts = await call(request, catalog_admin.list_part_records, actor)
    charges = await call(request, catalog.list_service_charges, actor)
    changes = await call(request, history.recent_changes, actor, kinds=CATALOG_KINDS, limit=20)
    return render(request, "admin/catalog.html", products=products, parts=parts, charges=charges, changes=changes)


# --- adding ---------------------------------------------------------------------------------------

def _form_page(request, kind: str, *, key: str | None, form: dict, errors: dict, record=None, stock=None,
               status: int = 200) -> web.Response:
    spec = KINDS[kind]
    fields = list(spec["fields"]) + ([] if key else list(spec.get("new_fields", [])))
    return render(request, "admin/catalog_form.html", kind=kind, spec=spec, key=key, fields=fields, form=form,
                  errors=errors, record=record, stock=stock or {"form": {}, "errors": {}}, status=status)


@routes.get("/x/catalog/{kind:(product|part|charge)}/new", name="x_catalog_new")
@editors
async def new_record(request: web.Request, actor: Actor) -> web.Response:
    kind = request.match_info["kind"]
    return _form_page(request, kind, key=None, form=dict(KINDS[kind]["defaults"]), errors={})


@routes.post("/x/catalog/{kind:(product|part|charge)}/new", name="x_catalog_create")
@editors
async def create_record(request: web.Request, actor: Actor) -> web.Response:
    kind = request.match_info["kind"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in _names(kind, new=True)}
    try:
        made = await call(request, CREATE[kind], actor, **_arguments(kind, kept))
    except DomainError as exc:
        return _form_page(request, kind, key=None, form=kept, errors=field_errors(exc), status=error_status(exc))
    key = getattr(made, KINDS[kind]["key"])
    raise redirect(request, "x_catalog_edit", done=f"{KINDS[kind]['title'].capitalize()} {key} added.", kind=kind,
                   key=key)


# --- editing --------------------------------------------------------------------------------------

GET = {"product": catalog_admin.get_product_record, "part": catalog_admin.get_part_record,
       "charge": catalog_admin.get_service_charge}


async def _record(request, actor, kind: str, key: str):
    return await call(request, GET[kind], actor, **{KINDS[kind]["key"]: key})


def _form_of_record(kind: str, record) -> dict[str, str]:
    out = {}
    for name in _names(kind, new=False):
        value = getattr(record, name)
        if isinstance(value, bool):
            out[name] = "on" if value else ""
            continue
        out[name] = format(value.normalize(), "f") if name == "reorder_level" else "" if value is None else str(value)
    return out


@routes.get("/x/catalog/{kind:(product|part|charge)}/{key}", name="x_catalog_edit")
@editors
async def edit_record(request: web.Request, actor: Actor) -> web.Response:
    kind, key = request.match_info["kind"], request.match_info["key"]
    try:
        record = await _record(request, actor, kind, key)
    except DomainError as exc:
        return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
    return _form_page(request, kind, key=key, form=_form_of_record(kind, record), errors={}, record=record)


@routes.post("/x/catalog/{kind:(product|part|charge)}/{key}", name="x_catalog_save")
@editors
async def save_record(request: web.Request, actor: Actor) -> web.Response:
    kind, key = request.match_info["kind"], request.match_info["key"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in _names(kind, new=False)}
    try:
        record = await call(request, EDIT[kind], actor, **{KINDS[kind]["key"]: key}, **_arguments(kind, kept))
    except DomainError as exc:
        try:
            record = await _record(request, actor, kind, key)
        except DomainError:
            return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
        return _form_page(request, kind, key=key, form=kept, errors=field_errors(exc), record=record,
                          status=error_status(exc))
    raise redirect(request, "x_catalog_edit", done=f"{KINDS[kind]['title'].capitalize()} {key} saved.", kind=kind,
                   key=getattr(record, KINDS[kind]["key"]))


@routes.post("/x/catalog/part/{key}/stock", name="x_catalog_stock")
@editors
async def adjust_stock(request: web.Request, actor: Actor) -> web.Response:
    key = request.match_info["key"]
    form = await form_of(request)
    kept = {k: text(form, k) for k in ("change", "reason")}
    try:
        record = await call(request, catalog_admin.adjust_stock, actor, sku=key, change=kept["change"],
                            reason=kept["reason"])
    except DomainError as exc:
        try:
            record = await _record(request, actor, "part", key)
        except DomainError:
            return render(request, "error.html", status=error_status(exc), code=exc.code, message=exc.message)
        errors = field_errors(exc)
        return _form_page(request, "part", key=key, form=_form_of_record("part", record), errors={}, record=record,
                          stock={"form": kept, "errors": errors}, status=error_status(exc))
    raise redirect(request, "x_catalog_edit", kind="part", key=key,
                   done=f"Stock of {key} is now {format(record.stock_qty.normalize(), 'f')}.")
