"""The shared helpers every app's rate limits and retries are built on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django.core.cache import cache

from portal.lib.ratelimit import ratelimit_clear, ratelimit_count, ratelimit_exceeded, ratelimit_hit
from portal.lib.retry import backoff_delay

pytestmark = pytest.mark.django_db


def test_a_limit_allows_exactly_limit_uses_in_its_window():
    results = [ratelimit_hit("test:a", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [False, False, False, True, True]
    assert ratelimit_exceeded("test:a", limit=3)
    assert not ratelimit_exceeded("test:other", limit=3)


def test_keys_are_counted_apart_and_can_be_cleared():
    assert ratelimit_count("test:x", window_seconds=60) == 1
    assert ratelimit_count("test:x", window_seconds=60) == 2
    assert ratelimit_count("test:y", window_seconds=60) == 1
    ratelimit_clear("test:x")
    assert ratelimit_count("test:x", window_seconds=60) == 1


def test_a_window_that_expires_between_add_and_incr_starts_again():
    ratelimit_count("test:z", window_seconds=60)
    cache.delete("ratelimit:test:z")  # as if the window had just expired
    assert ratelimit_count("test:z", window_seconds=60) == 1


def test_backoff_follows_the_schedule_then_stays_at_its_last_step():
    delays = (60, 300, 1800)
    assert [backoff_delay(n, delays) for n in range(6)] == [0, 60, 300, 1800, 1800, 1800]


@given(attempts=st.integers(min_value=-5, max_value=1000), delays=st.lists(st.integers(1, 10**6), max_size=6))
def test_backoff_is_always_a_step_of_the_schedule_and_never_shrinks(attempts, delays):
    delay = backoff_delay(attempts, delays)
    assert delay == 0 or delay in delays
    if delays and attempts > 0 and delays == sorted(delays):
        assert backoff_delay(attempts + 1, delays) >= delay
