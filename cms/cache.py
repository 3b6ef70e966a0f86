"""Content versions: what tells a cached page, fragment or API response it is out of date.

Two kinds of version live in the shared cache (so every web process sees the same ones),
each a fresh ``time.time_ns()`` string when bumped:

- the **site-wide version** (``CONTENT_VERSION_KEY``), for what shows on every page: the
  council settings, alerts, the ``Site``, view restrictions, images and documents, service
  forms (a start button depends on its form), and pages unpublished, moved, renamed (a new
  slug) or deleted. Bumping it (``content_version_bump``) makes every cached page stale;
  these changes are rare or touch many pages.
- a **path version** per URL path (``path_version_key``: the path without host or query),
  for publishing one page. ``page_paths_bump`` bumps the paths of the pages a publish
  affects (``cms.page_cache.published_page_paths``: the page, its ancestors, its
  descendants when its title changes, and the pages that link to it) and the **pages
  version** (``PAGES_VERSION_KEY``), which every publish bumps.

``content_version()`` is the site-wide version and the pages version together: it changes
whenever anything in the content does, for the caches built from all pages (search
vocabulary, service keywords, API listings). The page cache (``cms.page_cache``) and the
``{% wagtailpagecache %}`` fragments (``cms_content_version``) use the site-wide version
and their own path's version instead, so publishing one page leaves the others cached.

A version missing from the cache (never bumped, or evicted) is created with ``add``, which
never overwrites a bump made meanwhile: an entry stored under a missing version is
therefore stale once the version exists.
"""

import hashlib
import time
from collections.abc import Iterable

from django.core.cache import cache

CONTENT_VERSION_KEY = "cms:content-version"
PAGES_VERSION_KEY = "cms:pages-version"
FRAGMENT_TIMEOUT = 24 * 60 * 60
_PATH_VERSION_PREFIX = "cms:path-version:"
_LONGEST_PLAIN_PATH = 150  # the database cache's keys are at most 255 characters


def _new_version() -> str:
    return str(time.time_ns())


def path_version_key(path: str) -> str:
    """The cache key of a URL path's version (long paths are hashed to fit any backend)."""
    if len(path) > _LONGEST_PLAIN_PATH:
        path = "sha256:" + hashlib.sha256(path.encode()).hexdigest()
    return _PATH_VERSION_PREFIX + path


def versions_fill(found: dict, keys: Iterable[str]) -> dict:
    """``found`` (a ``get_many`` answer) with every version in ``keys`` it lacks created.

    Only a lookup that missed gets here (an entry can't match a missing version), so a hit
    stays one cache round trip.
    """
    missing = [key for key in keys if found.get(key) is None]
    if missing:
        fresh = _new_version()
        for key in missing:
            cache.add(key, fresh, timeout=None)
        found = {**found, **cache.get_many(missing)}
        # Evicted again at once (a tiny cache): use our value, the entry is stale next time.
        found.update({key: fresh for key in missing if found.get(key) is None})
    return found


def versions_get(keys: Iterable[str]) -> dict:
    keys = list(keys)
    return versions_fill(cache.get_many(keys), keys)


def content_version() -> str:
    """Changes whenever anything in the content changes (site-wide or any publish)."""
    found = versions_get([CONTENT_VERSION_KEY, PAGES_VERSION_KEY])
    return f"{found[CONTENT_VERSION_KEY]}.{found[PAGES_VERSION_KEY]}"


def content_version_bump() -> None:
    """Everything cached from the content is stale: every page, fragment and API response."""
    cache.set(CONTENT_VERSION_KEY, _new_version(), timeout=None)


def page_paths_bump(paths: Iterable[str]) -> None:
    """A page was published: the pages at ``paths`` are stale, and ``content_version()`` changes."""
    version = _new_version()
    cache.set_many(
        {PAGES_VERSION_KEY: version, **{path_version_key(path): version for path in paths}}, timeout=None
    )
