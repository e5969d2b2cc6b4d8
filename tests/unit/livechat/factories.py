"""Test data for conversations: a few agents, a manager and a customer login."""

from __future__ import annotations

from dataclasses import dataclass

from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import Role, User

PASSWORD = "agent-pass-1"
_HASH: str | None = None


def _pw() -> str:
    global _HASH
    if _HASH is None:
        from backend.identity.passwords import hash_password

        _HASH = hash_password(PASSWORD)
    return _HASH


@dataclass
class People:
    asha: Actor  # agent, 2 chats at once
    ravi: Actor  # agent, 2 chats at once
    meena: Actor  # agent, 1 chat at once
    boss: Actor  # manager
    alice: Actor  # customer login
    tech: Actor  # technician login
    customer_id: int
    emails: dict[str, str]


def build_people(uow: UnitOfWork, *, prefix: str = "") -> People:
    emails: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    with uow() as s:
        cust = Customer(code=f"{prefix}C-ALICE"[:20], name="Alice Fernandes", email=f"{prefix}alice@example.com",
                        phone="+91 98450 11111")
        s.add(cust)
        s.flush()
        spec = [
            ("asha", "Asha Rao", Role.AGENT, 2, None),
            ("ravi", "Ravi Kumar", Role.AGENT, 2, None),
            ("meena", "Meena Iyer", Role.AGENT, 1, None),
            ("boss", "Priya Shah", Role.MANAGER, 3, None),
            ("alice", "Alice Fernandes", Role.CUSTOMER, 3, cust.id),
            ("tech", "Tomas Dsouza", Role.TECHNICIAN, 3, None),
        ]
        for key, name, role, max_chats, cid in spec:
            email = f"{prefix}{key}@fieldserv.test"
            u = User(email=email, name=name, role=role, password_hash=_pw(), customer_id=cid, max_chats=max_chats)
            s.add(u)
            s.flush()
            emails[key] = email
            actors[key] = Actor(role, u.id, cid, name, "chat")
        return People(customer_id=cust.id, emails=emails, **actors)
