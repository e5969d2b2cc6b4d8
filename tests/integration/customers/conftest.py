from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.catalog.models import Item
from backend.customers.models import Contact, Customer, Site
from backend.history.models import StateChange
from tests.factories import build_world


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """The master-data tests run on SQLite and on PostgreSQL."""
    return any_uow


def snapshot(uow) -> tuple:
    """Every master-data row and the history: what a refusal must leave as it was."""
    with uow() as s:
        rows = []
        for model in (Customer, Site, Contact, Item):
            rows.append([tuple(getattr(r, c.key) for c in model.__table__.columns)
                         for r in s.scalars(select(model).order_by(model.id))])
        rows.append(s.scalar(select(func.count()).select_from(StateChange)))
        return tuple(map(repr, rows))
