"""Routing as pure functions: arrival order, longest idle, limits, skips, waits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.conversations.routing import (
    AgentSlot,
    Waiting,
    average_wait,
    estimate_wait,
    pick_agent,
    plan_assignments,
    queue_positions,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def agent(i, *, idle=0, load=0, max_chats=2, available=True):
    return AgentSlot(i, available, load, max_chats, at(idle))


def test_the_longest_idle_available_agent_with_room_gets_it():
    agents = [agent(1, idle=5), agent(2, idle=1), agent(3, idle=0, available=False), agent(4, idle=-1, load=2)]
    assert pick_agent(agents).agent_id == 2


def test_nobody_available_means_nobody():
    assert pick_agent([agent(1, available=False), agent(2, load=3, max_chats=3)]) is None
    assert plan_assignments([Waiting(1, at(0))], [agent(1, available=False)], now=at(1)) == []


def test_queue_is_served_in_arrival_order_and_spread_round_the_team():
    waiting = [Waiting(30, at(3)), Waiting(10, at(1)), Waiting(20, at(2))]
    agents = [agent(1, idle=0), agent(2, idle=-5)]
    plan = plan_assignments(waiting, agents, now=at(10))
    # the longest idle (2) first, then 1; an assignment resets idle time
    assert plan == [(10, 2), (20, 1), (30, 1)]  # 1 and 2 tie at "now": lower id


def test_per_agent_limits_are_respected_and_the_rest_keep_waiting():
    waiting = [Waiting(i, at(i)) for i in range(1, 6)]
    agents = [agent(1, max_chats=1), agent(2, max_chats=2, load=1)]
    plan = plan_assignments(waiting, agents, now=at(10))
    assert plan == [(1, 1), (2, 2)]


def test_an_agent_who_let_it_lapse_is_passed_over_unless_nobody_else_can():
    agents = [agent(1, idle=-10), agent(2, idle=0)]
    assert plan_assignments([Waiting(1, at(0), frozenset({1}))], agents, now=at(1)) == [(1, 2)]
    assert plan_assignments([Waiting(1, at(0), frozenset({1}))], [agent(1)], now=at(1)) == [(1, 1)]


def test_ties_break_on_id():
    assert pick_agent([agent(9), agent(4)]).agent_id == 4
    assert queue_positions([Waiting(9, at(0)), Waiting(4, at(0))]) == {4: 1, 9: 2}


def test_positions_are_one_based_in_arrival_order():
    assert queue_positions([Waiting(7, at(2)), Waiting(3, at(5)), Waiting(5, at(1))]) == {5: 1, 7: 2, 3: 3}


def test_estimated_wait():
    assert average_wait([]) == 60.0
    assert average_wait([30, 90, -1]) == 60.0
    assert estimate_wait(0, agents_online=1, average_wait_s=60) == 0
    assert estimate_wait(1, agents_online=1, average_wait_s=45) == 50  # rounded up to 10 s
    assert estimate_wait(3, agents_online=2, average_wait_s=60) == 90
    assert estimate_wait(2, agents_online=0, average_wait_s=60) == 120  # nobody online: count one
