"""Failed identity checks per reference: a window, a limit, cleared by success."""

from actions.attempts import FailedAttempts


def test_misses_block_at_the_limit_and_age_out_of_the_window():
    now = [0.0]
    misses = FailedAttempts(limit=3, window=60, clock=lambda: now[0])
    for _ in range(2):
        misses.failed("JB-000001")
    assert not misses.blocked("JB-000001")
    misses.failed("JB-000001")
    assert misses.blocked("JB-000001") and not misses.blocked("JB-000002")
    now[0] = 61.0
    assert not misses.blocked("JB-000001")


def test_a_success_forgets_the_misses():
    misses = FailedAttempts(limit=2, window=60)
    misses.failed("SR-000004")
    misses.succeeded("SR-000004")
    misses.failed("SR-000004")
    assert not misses.blocked("SR-000004")
