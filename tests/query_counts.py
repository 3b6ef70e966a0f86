"""Counting a page's own queries, for the tests that keep query counts flat."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def counts_for_page(sql: str) -> bool:
    """Whether a statement is the page's own: not the database cache's (the SQLite run has no
    Redis, so the cache lives in the database) nor the savepoints around its writes."""
    return "portal_cache" not in sql and not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))


def page_queries(client, url: str, data: dict | None = None) -> int:
    """The page's own queries for one GET, after a first GET that warms the caches. The least
    of two counted GETs: a shared cache emptied by something else costs a few queries once,
    an N+1 every time."""
    assert client.get(url, data).status_code == 200
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, data).status_code == 200
        counts.append(sum(1 for query in captured.captured_queries if counts_for_page(query["sql"])))
    return min(counts)
