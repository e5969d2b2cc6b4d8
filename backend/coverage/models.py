from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow


class CoverageType(Base):
    """AMC (labour only), CMC (labour and parts), WARRANTY, ... — types are data."""

    __tablename__ = "coverage_types"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=True)
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=False)


class Contract(Base):
    """A contract or an extended warranty covering serials for a period.

    The full contract process (offer, acceptance, renewal) extends this table;
    the entitlement check needs only type, period, status and covered items.
    """

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("coverage_types.code"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoveredItem(Base):
    __tablename__ = "covered_items"
    __table_args__ = (UniqueConstraint("contract_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
