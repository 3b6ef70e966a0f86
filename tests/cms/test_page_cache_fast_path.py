"""Page-cache hits are answered before the rest of the middleware (cms.page_cache)."""

import re

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db

_PER_RESPONSE = re.compile(r'(nonce|value)="[^"]+"')


def _warm(path: str) -> None:
    Client().get(path, **BROWSER)  # makes the council settings: a new content version
    Client().get(path, **BROWSER)  # stored


def test_a_hit_needs_no_query_but_the_page_view(site):
    _warm("/bins/missed-bin/")
    # The page-view INSERT, in a savepoint here (the test's own transaction), and nothing else
    # but the cache read when the cache is the database's (no Redis: the SQLite run).
    with CaptureQueriesContext(connection) as queries:
        hit = Client().get("/bins/missed-bin/", **BROWSER)
    assert hit.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if "portal_cache" not in q["sql"]]
    assert [sql.split()[0].upper() for sql in statements] == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert "interactions_interaction" in statements[1]


def test_a_hit_has_the_headers_and_cookie_of_a_rendered_page(site, settings):
    _warm("/bins/missed-bin/")
    hit = Client().get("/bins/missed-bin/", **BROWSER)
    settings.CMS_PAGE_CACHE_ENABLED = False
    rendered = Client().get("/bins/missed-bin/", **BROWSER)
    for header in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"):
        assert hit.get(header) == rendered.get(header), header
    assert hit["Content-Length"] == str(len(hit.content))
    nonce = re.search(r"'nonce-([^']+)'", hit["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in hit.text
    assert re.sub(r"'nonce-[^']+'", "", hit["Content-Security-Policy"]) == re.sub(
        r"'nonce-[^']+'", "", rendered["Content-Security-Policy"]
    )
    assert "csrftoken" in hit.cookies and "sessionid" not in hit.cookies
    assert _PER_RESPONSE.sub("", hit.text) == _PER_RESPONSE.sub("", rendered.text)


def test_a_hit_is_still_logged_with_its_service(site):
    _warm("/bins/missed-bin/")
    Interaction.objects.all().delete()
    Client().get("/bins/missed-bin/", **BROWSER)
    view = Interaction.objects.get()
    assert (view.type, view.service_code, view.path) == (InteractionType.PAGE_VIEW, 524, "/bins/missed-bin/")


def test_a_stale_entry_is_served_only_while_the_database_is_unavailable(site):
    from cms.cache import content_version_bump
    from portal.lib.outage import OUTAGE_KEY, database_unavailable_mark

    _warm("/bins/missed-bin/")
    content_version_bump()
    database_unavailable_mark()
    try:
        with pytest.MonkeyPatch.context() as patch:
            # The stack below the fast path would render; a hit never gets there.
            patch.setattr("cms.page_cache.AnonymousPageCacheMiddleware.__call__", _refuse)
            assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 200
    finally:
        from django.core.cache import cache

        cache.delete(OUTAGE_KEY)
    assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 200  # rendered again


def _refuse(self, request):
    raise AssertionError("the page was rendered, not served from the cache")
