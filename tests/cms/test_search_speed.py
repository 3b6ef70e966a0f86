"""Search is cheap: a repeated query is one cache read and runs no query; a new query runs
a fixed handful (the search, the results' fields in one go, the promoted results), however
many pages it finds.

Queries are counted as in ``tests/portal/test_query_counts.py``: the database cache's own
(``portal_cache``, and the savepoints around its writes) are the cache's, not the page's.
The interaction log's inserts (the search event and the page view; batched through Redis
when the page-view buffer is on) are counted apart.
"""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import ServicePage
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db

LOG_INSERT = 'INSERT INTO "interactions_interaction"'
# A new search: the search, the results' titles, summaries, keywords and URLs, the promoted
# results. Measured on SQLite and PostgreSQL.
NEW_SEARCH_CEILING = 3


def _queries(client, query: str, **params) -> tuple[list[str], list[str]]:
    """The search page's own queries, and the interaction log's inserts, for one GET."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": query, **params}, **BROWSER)
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    own = [
        s
        for s in sql
        if "portal_cache" not in s
        and not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
        and not s.startswith(LOG_INSERT)
    ]
    return own, [s for s in sql if s.startswith(LOG_INSERT)]


def test_a_repeated_search_runs_no_query_and_is_still_recorded(client, site):
    client.get("/search/", {"q": "bins"}, **BROWSER)
    # Same words, other case and spacing. The least of two is kept (see the test below).
    counted = [_queries(client, query) for query in ("Bins ", "BINS")]
    own, inserts = min(counted, key=lambda c: len(c[0]))
    assert own == []
    assert len(inserts) <= 2  # the search and the page view (none when buffered)
    searches = Interaction.objects.filter(type=InteractionType.SEARCH).order_by("pk")
    assert [s.extras["query"] for s in searches] == ["bins", "Bins", "BINS"]
    assert {s.extras["count"] for s in searches} == {3}


def test_later_results_pages_come_from_the_cached_search(client, site):
    for n in range(12):
        publish(site.bins, ServicePage(title=f"Waste service {n}", slug=f"waste-{n}", summary="Waste."))
    client.get("/search/", {"q": "waste"}, **BROWSER)
    assert min(len(_queries(client, "waste", page=page)[0]) for page in (2, 1)) == 0


@pytest.mark.parametrize("matching", [1, 12])
def test_a_new_search_costs_the_same_few_queries_however_many_pages_it_finds(client, site, matching):
    for n in range(matching):
        publish(site.bins, ServicePage(title=f"Quokka service {n}", slug=f"quokka-{n}", summary="Quokkas."))
    client.get("/search/", {"q": "sofa"}, **BROWSER)  # warms what every search shares
    # Two new queries finding the same pages; the least is kept: a shared cache emptied by
    # something else meanwhile (another run on the same Redis database) costs a few queries
    # once, whereas an N+1 costs them every time.
    own = min((_queries(client, query)[0] for query in ("quokka", "quokkas")), key=len)
    assert len(own) <= NEW_SEARCH_CEILING, "\n".join(s[:300] for s in own)


def test_publishing_a_page_makes_cached_searches_stale(client, site):
    assert client.get("/search/", {"q": "quokka"}, **BROWSER).context["search"].count == 0
    publish(site.bins, ServicePage(title="Quokka sightings", slug="quokka", summary="Report one."))
    assert client.get("/search/", {"q": "quokka"}, **BROWSER).context["search"].count == 1
