"""Page views written in batches through Redis (portal.interactions.buffer), on a real Redis."""

import uuid

import pytest

from django.db import OperationalError, connection
from django.test import Client

from portal.interactions import buffer
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_buffer(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/6",
            "KEY_PREFIX": f"buffer-test-{uuid.uuid4().hex[:8]}",
        }
    }
    settings.INTERACTIONS_PAGE_VIEW_BUFFER = True
    settings.INTERACTIONS_BUFFER_FLUSH_SECONDS = 0  # no thread: the tests flush themselves
    settings.INTERACTIONS_BUFFER_FLUSH_AT = 1000
    assert buffer.buffer_enabled()
    yield settings
    buffer.page_views_flush()  # nothing queued in this process outlives the test
    from django.core.cache import cache

    cache.clear()


def test_a_page_view_costs_no_query_and_is_written_by_the_flush(
    site, redis_buffer, django_assert_num_queries
):
    Client().get("/bins/missed-bin/", **BROWSER)
    Client().get("/bins/missed-bin/", **BROWSER)
    buffer.page_views_flush()
    Interaction.objects.all().delete()
    with django_assert_num_queries(0):
        assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 200
    assert buffer.page_views_pending() == 1
    assert not Interaction.objects.exists()
    assert buffer.page_views_flush() == 1
    view = Interaction.objects.get()
    assert (view.type, view.path, view.service_code) == (InteractionType.PAGE_VIEW, "/bins/missed-bin/", 524)
    assert view.visitor_key and view.occurred_at is not None
    assert buffer.page_views_pending() == 0


def test_the_request_that_fills_the_buffer_writes_it(site, redis_buffer):
    redis_buffer.INTERACTIONS_BUFFER_FLUSH_AT = 3
    Interaction.objects.all().delete()
    for _ in range(2):
        Client().get("/bins/missed-bin/", **BROWSER)
    assert not Interaction.objects.exists()
    Client().get("/bins/missed-bin/", **BROWSER)
    assert Interaction.objects.filter(type=InteractionType.PAGE_VIEW).count() == 3
    assert buffer.page_views_pending() == 0


def _database_down(execute, sql, params, many, context):
    if "interactions_interaction" in sql:
        raise OperationalError("could not connect to server")
    return execute(sql, params, many, context)


def test_page_views_wait_in_the_buffer_while_the_database_is_down(site, redis_buffer):
    Interaction.objects.all().delete()
    for _ in range(3):
        Client().get("/news/", **BROWSER)
    with connection.execute_wrapper(_database_down):
        assert buffer.page_views_flush() == 0
    assert buffer.page_views_pending() == 3
    assert not Interaction.objects.exists()
    assert buffer.page_views_flush() == 3
    assert Interaction.objects.filter(path="/news/").count() == 3


def test_events_other_than_page_views_are_never_buffered(site, redis_buffer):
    from portal.interactions.services import interaction_record

    interaction_record(type=InteractionType.SEARCH, extras={"query": "bins"}, buffered=False)
    assert Interaction.objects.filter(type=InteractionType.SEARCH).exists()
    assert buffer.page_views_pending() == 0


def test_off_without_redis(settings):
    settings.INTERACTIONS_PAGE_VIEW_BUFFER = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not buffer.buffer_enabled()


def test_every_field_survives_the_batch(site, redis_buffer):
    from datetime import UTC, datetime

    from portal.interactions.services import interaction_record

    Interaction.objects.all().delete()
    at = datetime(2026, 11, 30, 9, 15, 30, 123456, tzinfo=UTC)
    event = {
        "type": InteractionType.PAGE_VIEW,
        "path": "/bins/missed-bin/",
        "service_code": 524,
        "occurred_at": at,
        "extras": {"from_search": True, "query": "bins ünïcode"},
    }
    interaction_record(**event, buffered=False)
    interaction_record(**event, buffered=True)
    assert Interaction.objects.count() == 1
    assert buffer.page_views_flush() == 1
    direct, batched = (
        {f.attname: getattr(row, f.attname) for f in Interaction._meta.concrete_fields if not f.primary_key}
        for row in Interaction.objects.order_by("pk")
    )
    assert batched == direct
    assert batched["occurred_at"] == at
    assert batched["extras"] == {"from_search": True, "query": "bins ünïcode"}


def _redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }


def test_page_views_go_straight_to_the_database_while_redis_is_down(site, redis_buffer):
    Interaction.objects.all().delete()
    for _ in range(2):
        Client().get("/news/", **BROWSER)
    caches = redis_buffer.CACHES
    _redis_down(redis_buffer)
    assert buffer.page_views_flush() == 2
    assert Interaction.objects.filter(path="/news/").count() == 2
    redis_buffer.CACHES = caches


def test_page_views_wait_in_the_process_while_redis_and_the_database_are_down(site, redis_buffer):
    Interaction.objects.all().delete()
    for _ in range(3):
        Client().get("/news/", **BROWSER)
    caches = redis_buffer.CACHES
    _redis_down(redis_buffer)
    with connection.execute_wrapper(_database_down):
        assert buffer.page_views_flush() == 0
    assert len(buffer._local) == 3
    assert not Interaction.objects.exists()
    redis_buffer.CACHES = caches
    assert buffer.page_views_flush() == 3
    assert [v.path for v in Interaction.objects.all()] == ["/news/"] * 3
    assert buffer.page_views_pending() == 0


def test_a_row_the_database_refuses_is_dropped_not_retried_forever(site, redis_buffer, caplog):
    import json

    Interaction.objects.all().delete()
    for _ in range(2):
        Client().get("/news/", **BROWSER)
    buffer._move_local(buffer._redis())  # the two views, now in the shared list
    client = buffer._redis()
    good = json.loads(client.lindex(buffer._key(), 0))
    client.rpush(buffer._key(), json.dumps({**good, "type": None}))  # NOT NULL: refused
    assert buffer.page_views_flush() == 2
    assert Interaction.objects.filter(path="/news/").count() == 2
    assert buffer.page_views_pending() == 0
    assert "page view lost" in caplog.text
