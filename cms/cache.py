"""A site-wide content version for cached fragments.

``{% wagtailpagecache %}`` keys a fragment on the page's ``cache_key``, which changes when
that page is published. A fragment can also show *other* pages (the home page lists
categories and news; a service page links to related pages), so the templates add this
version to the key as well: publishing, unpublishing, moving or deleting any page
changes it, and every cached fragment is rebuilt on its next view. It lives in the
shared cache, so every web process sees the same version.
"""

import time

from django.core.cache import cache

CONTENT_VERSION_KEY = "cms:content-version"
FRAGMENT_TIMEOUT = 24 * 60 * 60


def content_version() -> str:
    return cache.get_or_set(CONTENT_VERSION_KEY, lambda: str(time.time_ns()), timeout=None)


def content_version_bump() -> None:
    cache.set(CONTENT_VERSION_KEY, str(time.time_ns()), timeout=None)
