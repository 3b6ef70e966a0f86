from django import template

from wagtail.models import Page

from ..cache import CONTENT_VERSION_KEY, FRAGMENT_TIMEOUT, path_version_key, versions_get
from ..page_cache import page_path

register = template.Library()


@register.simple_tag(takes_context=True)
def cms_content_version(context) -> str:
    """The site-wide version and the page's own path version (see ``cms.cache``).

    Publishing the page, a page below it (the home page lists categories and news) or a page
    it links to bumps its path; the page cache's lookup has usually read both versions
    already (a visitor without a session), otherwise they are read once per request.
    """
    request = context.get("request")
    page = context.get("page")
    path = page_path(page, request) if isinstance(page, Page) and page.pk else None
    keys = [CONTENT_VERSION_KEY, *([path_version_key(path)] if path is not None else [])]
    lookup = getattr(request, "_page_cache_lookup", None)
    if lookup is not None and all(key in lookup[1] for key in keys):
        found = lookup[1]
    elif request is not None:
        cached = getattr(request, "_cms_content_versions", {})
        if not all(key in cached for key in keys):
            cached = {**cached, **versions_get(keys)}
            request._cms_content_versions = cached
        found = cached
    else:
        found = versions_get(keys)
    return ".".join(found[key] for key in keys)


@register.simple_tag
def cms_fragment_timeout() -> int:
    return FRAGMENT_TIMEOUT
