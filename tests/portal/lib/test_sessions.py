"""portal.lib.sessions: sessions read from Redis for at most five minutes, kept in the
database, and never kept alive by a cache that fails while one is ended. On a real Redis."""

import uuid

import pytest

from django.contrib.sessions.models import Session
from django.core.cache import caches

from portal.lib.sessions import CACHE_SECONDS, SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_sessions(settings):
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "portal.lib.redis_cache.PortalRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": f"sessions-test-{uuid.uuid4().hex[:8]}",
        },
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    cache = caches["sessions"]
    yield cache
    cache.clear()


def _redis_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "portal.lib.redis_cache.PortalRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }


def test_a_session_is_read_from_the_cache_without_a_query(redis_sessions, django_assert_num_queries):
    store = SessionStore()
    store["who"] = "resident"
    store.save(must_create=True)
    with django_assert_num_queries(0):
        assert SessionStore(store.session_key)["who"] == "resident"
    assert Session.objects.filter(session_key=store.session_key).exists()  # the database is the record


def test_the_cached_copy_lives_at_most_five_minutes(redis_sessions):
    store = SessionStore()
    store["who"] = "resident"
    store.save(must_create=True)  # a session with two weeks to run
    client = redis_sessions._cache.get_client(write=False)
    ttl = client.ttl(redis_sessions.make_and_validate_key(store.cache_key))
    assert 0 < ttl <= CACHE_SECONDS == 300


def test_an_ended_session_is_gone_from_both(redis_sessions):
    store = SessionStore()
    store["who"] = "resident"
    store.save(must_create=True)
    key = store.session_key
    SessionStore(key).delete()
    assert not Session.objects.filter(session_key=key).exists()
    assert SessionStore(key).load() == {}


def test_ending_a_session_while_the_cache_is_down_still_ends_it(redis_sessions, settings):
    store = SessionStore()
    store["who"] = "resident"
    store.save(must_create=True)
    key = store.session_key
    _redis_down(settings)
    SessionStore(key).delete()  # no error: the database row is the session
    assert not Session.objects.filter(session_key=key).exists()
    # While the cache is down the database is read, and the session is gone.
    assert SessionStore(key).load() == {}


def test_sessions_work_from_the_database_while_the_cache_is_down(redis_sessions, settings):
    _redis_down(settings)
    store = SessionStore()
    store["who"] = "resident"
    store.save(must_create=True)
    assert SessionStore(store.session_key)["who"] == "resident"
    assert SessionStore().exists(store.session_key)
