from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, QTY, Base


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    category: Mapped[str] = mapped_column(String(60))
    warranty_months: Mapped[int] = mapped_column(default=12)


class Item(Base):
    """One installed unit with a serial number, at a customer's site."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    installed_on: Mapped[date | None] = mapped_column(Date)
    purchased_on: Mapped[date | None] = mapped_column(Date)
    # The manufacturer's warranty: the product's warranty_months from the purchase (else the installation)
    # date, set by backend/catalog/items.py; the entitlement check counts it as cover.
    warranty_until: Mapped[date | None] = mapped_column(Date)
    # A deactivated item (scrapped, sold, moved out) keeps its history; its serial may be registered again.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Part(Base):
    """A spare part held in stock, with its list price (the price list) and cost."""

    __tablename__ = "parts"
    __table_args__ = (CheckConstraint("stock_qty >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("18.00"))
    # The HSN code (Harmonised System of Nomenclature, 4, 6 or 8 digits) its invoice lines carry.
    hsn_code: Mapped[str | None] = mapped_column(String(8))
    stock_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal("0"))
    # At or below this the part shows as due for reordering (0: not watched).
    reorder_level: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0), server_default="0")


class ServiceCharge(Base):
    """Price list entries for labour: visit charge, hourly rates, repair bench fee."""

    __tablename__ = "service_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("18.00"))
    # The SAC (services accounting code, 6 digits from 99) of its invoice lines; None: the default
    # repair-service SAC (backend/catalog/hsn.py SERVICE_SAC).
    sac_code: Mapped[str | None] = mapped_column(String(6))
    # A job of this kind is completed only with the customer's signature (backend/processes/job_outcomes.py).
    requires_signature: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
