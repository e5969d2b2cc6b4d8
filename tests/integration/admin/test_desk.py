"""The live-chat desk's settings in the core: stored, checked with the hub's
own parser, traced; and the cache the hub reads them through."""

from __future__ import annotations

import pytest

from backend.conversations import desk
from backend.conversations.hours import BusinessHours
from backend.errors import DomainError
from backend.history import service as history


def refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


def test_admin_stores_hours_and_timeout_and_clears_them_back_to_the_default(uow, world):
    assert desk.get_desk_settings(uow, world.admin) == desk.DeskSettingsView(None, None, None, None)
    stored = desk.set_desk_settings(uow, world.admin, business_hours=" mon-fri 09:00-18:00, sat 09:00-13:00 ",
                                    assign_timeout_s=45)
    assert (stored.business_hours, stored.assign_timeout_s, stored.updated_by) == (
        "mon-fri 09:00-18:00, sat 09:00-13:00", 45, "Admin")
    kept = desk.set_desk_settings(uow, world.admin, assign_timeout_s=90)  # hours not given: unchanged
    assert (kept.business_hours, kept.assign_timeout_s) == ("mon-fri 09:00-18:00, sat 09:00-13:00", 90)
    cleared = desk.set_desk_settings(uow, world.admin, business_hours=None)
    assert (cleared.business_hours, cleared.assign_timeout_s) == (None, 90)
    notes = [c.note for c in history.recent_changes(uow, world.manager, kinds=["desk_settings"])]
    assert notes == ["business_hours: 'mon-fri 09:00-18:00, sat 09:00-13:00' → default",
                     "assign_timeout_s: 45 → 90",
                     "business_hours: default → 'mon-fri 09:00-18:00, sat 09:00-13:00'; assign_timeout_s: default → 45"]


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"business_hours": "weekdays 9 to 5"}, "business_hours", "cannot read 'weekdays 9 to 5'"),
    ({"business_hours": "mon-fri 18:00-09:00"}, "business_hours", "closes before it opens"),
    ({"business_hours": "   "}, "business_hours", "give business hours"),
    ({"business_hours": "always", "assign_timeout_s": 5}, "assign_timeout_s", "between 10 and 3600"),
    ({"assign_timeout_s": "60"}, "assign_timeout_s", "whole number"),
])
def test_a_spec_the_hub_cannot_read_is_refused_with_the_parsers_words(uow, world, snapshot, kwargs, field, words):
    desk.set_desk_settings(uow, world.admin, business_hours="always")
    before = snapshot()
    err = refused(desk.set_desk_settings, uow, world.admin, **kwargs)
    assert (err.code, err.details["field"]) == ("invalid_input", field) and words in err.message
    assert snapshot() == before


def test_admin_sets_an_agents_concurrent_chats(uow, world, snapshot):
    limits = {a.user_id: a for a in desk.list_agent_limits(uow, world.admin)}
    assert set(limits) == {world.admin.user_id, world.manager.user_id, world.agent.user_id}  # staff only
    assert desk.set_max_chats(uow, world.admin, user_id=world.agent.user_id, max_chats=5).max_chats == 5
    assert [c.note for c in history.recent_changes(uow, world.admin, kinds=["user"])] == ["max_chats: 3 → 5"]
    before = snapshot()
    for kwargs, code in [({"user_id": world.agent.user_id, "max_chats": 0}, "invalid_input"),
                         ({"user_id": world.agent.user_id, "max_chats": 51}, "invalid_input"),
                         ({"user_id": world.tech.user_id, "max_chats": 2}, "not_found"),  # not someone who chats
                         ({"user_id": 999999, "max_chats": 2}, "not_found")]:
        assert refused(desk.set_max_chats, uow, world.admin, **kwargs).code == code, kwargs
    assert snapshot() == before


@pytest.mark.parametrize("who", ["alice", "tech", "agent", "manager"])
def test_only_the_admin_changes_the_desk(uow, world, snapshot, who):
    actor = getattr(world, who)
    before = snapshot()
    assert refused(desk.set_desk_settings, uow, actor, business_hours="never").code == "forbidden"
    assert refused(desk.set_max_chats, uow, actor, user_id=world.agent.user_id, max_chats=9).code == "forbidden"
    assert snapshot() == before
    if who != "manager":
        assert refused(desk.get_desk_settings, uow, actor).code == "forbidden"
        assert refused(desk.list_agent_limits, uow, actor).code == "forbidden"


def test_the_cache_gives_the_defaults_until_something_is_stored_then_the_stored_values(uow, world):
    now = [0.0]
    cache = desk.DeskSettingsCache(uow, default_hours=BusinessHours.parse("always", "Asia/Kolkata"),
                                   default_timeout_s=60.0, ttl_s=5.0, clock=lambda: now[0])
    first = cache.refresh()
    assert (first.hours.spec, first.assign_timeout_s) == ("always", 60.0)
    desk.set_desk_settings(uow, world.admin, business_hours="mon-fri 09:00-18:00", assign_timeout_s=20)
    assert cache.refresh().hours.spec == "always"  # read 0 s ago: the cached value
    now[0] = 5.0
    fresh = cache.refresh()
    assert (fresh.hours.spec, fresh.hours.zone.key, fresh.assign_timeout_s) == (
        "mon-fri 09:00-18:00", "Asia/Kolkata", 20.0)
    desk.set_desk_settings(uow, world.admin, business_hours=None, assign_timeout_s=None)
    assert cache.refresh(force=True).hours.spec == "always" and cache.current().assign_timeout_s == 60.0
