"""Contract types as data (admin): AMC, CMC, WARRANTY and whatever the
company adds — what each covers and how many visits a year an offer
proposes by default.

A type in use (by a contract or an offer) cannot be deleted (``conflict``,
``details.reason = "in_use"``); it can be retired instead: a retired type
takes no new inquiries or offers, and the contracts that have it keep it
(the entitlement check still honours them). Every change writes a history row
(``state_changes``, entity ``coverage_type``; the code is the table's key and
is named in the note, entity_id is 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.coverage.models import Contract, ContractOffer, CoverageType
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.changes import apply_changes, describe
from backend.history.moves import record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role

CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")
MAX_VISITS = 52


@dataclass(frozen=True)
class CoverageTypeView:
    code: str
    name: str
    covers_labour: bool
    covers_parts: bool
    visits_per_year: int
    active: bool
    contracts: int  # contracts of this type, any state
    requires_signature: bool = False  # its visits are completed only with the customer's signature


def _code(value) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not CODE.match(text):
        raise invalid("the code is 2 to 20 capital letters, digits or _ (like AMC or GOLD_PLUS)", field="code")
    return text


def _name(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 120:
        raise invalid("give the type's name (at most 120 characters)", field="name")
    return text


def _visits(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VISITS:
        raise invalid(f"visits per year are a whole number from 0 to {MAX_VISITS}", field="visits_per_year")
    return value


def _flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{field.replace('_', ' ')} is yes or no", field=field)
    return value


def _count(s: Session, code: str) -> int:
    return s.scalar(select(func.count()).select_from(Contract).where(Contract.type_code == code)) or 0


def _view(s: Session, t: CoverageType, contracts: int | None = None) -> CoverageTypeView:
    return CoverageTypeView(t.code, t.name, t.covers_labour, t.covers_parts, t.visits_per_year, t.active,
                            _count(s, t.code) if contracts is None else contracts, t.requires_signature)


def _load(s: Session, code: str) -> CoverageType:
    t = s.scalar(select(CoverageType).where(CoverageType.code == (code or "").strip().upper()).with_for_update())
    if t is None:
        raise not_found("contract type", code)
    return t


def _trace(s: Session, actor: Actor, change: str, note: str) -> None:
    record(s, entity_type="coverage_type", entity_id=0, to_state=change, actor=actor, note=note)


def usable_type(s: Session, code: str) -> CoverageType:
    """For a new inquiry or offer: the type exists and is not retired."""
    t = s.get(CoverageType, code)
    if t is None:
        raise invalid(f"unknown contract type '{code}'", field="type_code")
    if not t.active:
        raise invalid(f"contract type {code} is retired", field="type_code", reason="retired")
    return t


def list_coverage_types(uow: UnitOfWork, actor: Actor, *, include_retired: bool = True) -> list[CoverageTypeView]:
    require_role(actor, *STAFF)
    with uow() as s:
        q = select(CoverageType).order_by(CoverageType.code)
        if not include_retired:
            q = q.where(CoverageType.active.is_(True))
        counts = dict(s.execute(select(Contract.type_code, func.count()).group_by(Contract.type_code)).all())
        return [_view(s, t, counts.get(t.code, 0)) for t in s.scalars(q)]


def get_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str) -> CoverageTypeView:
    require_role(actor, *STAFF)
    with uow() as s:
        t = s.get(CoverageType, (code or "").strip().upper())
        if t is None:
            raise not_found("contract type", code)
        return _view(s, t)


def create_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str, name: str, covers_labour: bool = True,
                         covers_parts: bool = False, visits_per_year: int = 4,
                         requires_signature: bool = False) -> CoverageTypeView:
    require_role(actor, Role.ADMIN)
    code, name = _code(code), _name(name)
    labour, parts = _flag(covers_labour, "covers_labour"), _flag(covers_parts, "covers_parts")
    signed = _flag(requires_signature, "requires_signature")
    visits = _visits(visits_per_year)
    with uow() as s:
        if s.get(CoverageType, code) is not None:
            raise DomainError(ErrorCode.DUPLICATE, f"contract type {code} exists", field="code")
        t = CoverageType(code=code, name=name, covers_labour=labour, covers_parts=parts, visits_per_year=visits,
                         active=True, requires_signature=signed)
        s.add(t)
        s.flush()
        _trace(s, actor, "created", f"{code}: {name}; labour {labour}, parts {parts}, {visits} visits a year"
               + ("; the customer signs on completion" if signed else ""))
        return _view(s, t)


def edit_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str, name: str | None = None,
                       covers_labour: bool | None = None, covers_parts: bool | None = None,
                       visits_per_year: int | None = None,
                       requires_signature: bool | None = None) -> CoverageTypeView:
    """Change what is given. Jobs already raised keep the cover they were
    given; the entitlement check of new requests uses the new terms."""
    require_role(actor, Role.ADMIN)
    wanted = {"name": None if name is None else _name(name),
              "covers_labour": None if covers_labour is None else _flag(covers_labour, "covers_labour"),
              "covers_parts": None if covers_parts is None else _flag(covers_parts, "covers_parts"),
              "visits_per_year": None if visits_per_year is None else _visits(visits_per_year),
              "requires_signature": None if requires_signature is None
              else _flag(requires_signature, "requires_signature")}
    with uow() as s:
        t = _load(s, code)
        changes = apply_changes(t, wanted)
        if changes:
            _trace(s, actor, "edited", f"{t.code}: " + describe(changes))
        return _view(s, t)


def retire_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str) -> CoverageTypeView:
    return _set_active(uow, actor, code, False)


def restore_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str) -> CoverageTypeView:
    return _set_active(uow, actor, code, True)


def _set_active(uow: UnitOfWork, actor: Actor, code: str, active: bool) -> CoverageTypeView:
    require_role(actor, Role.ADMIN)
    with uow() as s:
        t = _load(s, code)
        if t.active == active:
            raise DomainError(ErrorCode.ALREADY_DONE, f"contract type {t.code} is {'active' if active else 'retired'}"
                              " already", state="active" if active else "retired")
        t.active = active
        _trace(s, actor, "restored" if active else "retired", t.code)
        return _view(s, t)


def delete_coverage_type(uow: UnitOfWork, actor: Actor, *, code: str) -> CoverageTypeView:
    """Only a type no contract or offer has ever used; returns what it was."""
    require_role(actor, Role.ADMIN)
    with uow() as s:
        t = _load(s, code)
        contracts = _count(s, t.code)
        offers = s.scalar(select(func.count()).select_from(ContractOffer).where(ContractOffer.type_code == t.code)) or 0
        if contracts or offers:
            raise DomainError(ErrorCode.CONFLICT, f"contract type {t.code} is in use ({contracts} contracts, "
                              f"{offers} offers); retire it instead", reason="in_use", contracts=contracts,
                              offers=offers)
        gone = _view(s, t)
        _trace(s, actor, "deleted", f"{t.code}: {t.name}")
        s.delete(t)
        return gone
