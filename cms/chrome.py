"""What every page shows around its content, read from the cache: the site, its council
settings, the alerts and the footer links.

Every page carries the council's name, phone number and footer links
(``CouncilSettings``), the alerts in force, and is served for a Wagtail ``Site``. Read
from the database that is four queries on every page, signed-in pages included (the page
cache never serves those). Here it is one cache entry per host, built on the first
request after a content change:

* the entry carries the site-wide version (``cms.cache``), which saving the settings, an
  alert or a site changes, and unpublishing, moving, renaming or deleting a page (a footer
  link's address), so an edit shows on the next request. Publishing a page does not
  change it: a footer link keeps its own text. The version and the entry are read in one
  cache round trip;
* alerts are kept with their time windows and filtered on every read, so one starting or
  ending on its own clock needs no rebuild;
* footer links are kept as their text and address, worked out once.

``ChromeMiddleware`` puts the entry's site on the request where Wagtail looks for it
(``request._wagtail_site``) and its settings where ``CouncilSettings.for_request`` does,
so views and templates that ask Wagtail get them without a query.
``chrome_settings`` replaces Wagtail's ``settings`` context processor for templates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils import timezone

from wagtail.contrib.settings.context_processors import SettingModuleProxy, SettingProxy
from wagtail.models import Site

from .cache import CONTENT_VERSION_KEY, FRAGMENT_TIMEOUT, versions_fill
from .models import Alert, AlertSeverity, CouncilSettings

logger = logging.getLogger(__name__)

_SEVERITY_ORDER = {AlertSeverity.CRITICAL: 0, AlertSeverity.WARNING: 1, AlertSeverity.INFO: 2}


@dataclass
class Chrome:
    version: str
    site: Site | None
    settings: CouncilSettings | None
    alerts: list[Alert] = field(default_factory=list)
    footer_links: list[dict[str, str]] = field(default_factory=list)

    def alerts_active(self, at: datetime | None = None) -> list[Alert]:
        """The alerts in force now, most severe first, then the newest."""
        at = at or timezone.now()
        active = [a for a in self.alerts if a.starts_at <= at and (a.ends_at is None or a.ends_at > at)]
        return sorted(active, key=lambda a: (_SEVERITY_ORDER.get(a.severity, 9), -a.starts_at.timestamp()))


# Part of the key: a deploy that changes what an entry holds starts with fresh entries.
CHROME_FORMAT = 1


def _key(request: HttpRequest) -> str:
    # ``get_host`` checks ALLOWED_HOSTS (a bad Host is a 400 before anything is cached for it).
    hostname = split_domain_port(request.get_host())[0]
    return f"cms:chrome:{CHROME_FORMAT}:{hostname}:{request.get_port()}"


def _footer_links(settings: CouncilSettings, request: HttpRequest) -> list[dict[str, str]]:
    links = []
    for link in settings.footer_links:
        page = link.value.get("page")
        href = (page.get_url(request) if page is not None else link.value.get("url")) or ""
        if href:
            links.append({"text": str(link.value.get("text") or ""), "href": href})
    return links


def _build(request: HttpRequest, version: str) -> Chrome:
    site = Site._find_for_request(request)
    if site is None:
        return Chrome(version=version, site=None, settings=None)
    request._wagtail_site = site  # page URLs in the footer are worked out for this site
    settings = CouncilSettings.for_site(site)
    alerts = list(
        Alert.objects.filter(live=True).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
    )
    return Chrome(
        version=version,
        site=site,
        settings=settings,
        alerts=alerts,
        footer_links=_footer_links(settings, request),
    )


def chrome_for_request(request: HttpRequest) -> Chrome:
    """This request's chrome: from the request, else the cache, else built and cached."""
    chrome = getattr(request, "_cms_chrome", None)
    if chrome is not None:
        return chrome
    key = _key(request)
    try:
        found = cache.get_many([CONTENT_VERSION_KEY, key])
        chrome = found.get(key)
        version = versions_fill(found, [CONTENT_VERSION_KEY])[CONTENT_VERSION_KEY]
    except Exception:
        logger.warning("Could not read the page chrome from the cache", exc_info=True)
        version, chrome = "", None
    if not isinstance(chrome, Chrome) or not version or chrome.version != version:
        chrome = _build(request, version)
        if version:
            try:
                cache.set(key, chrome, FRAGMENT_TIMEOUT)
            except Exception:
                logger.warning("Could not store the page chrome in the cache", exc_info=True)
    request._cms_chrome = chrome
    if chrome.site is not None:
        request._wagtail_site = chrome.site
        if chrome.settings is not None:
            chrome.settings._request = request  # as Wagtail's for_request does
            setattr(request, CouncilSettings.get_cache_attr_name(), chrome.settings)
    return chrome


class ChromeMiddleware:
    """Put the cached site and council settings on every request (see module docstring).

    Inside ``PageCacheFastPathMiddleware`` (a page-cache hit needs none of it), before
    anything that asks Wagtail for the site.
    """

    # Answers that show no chrome (JSON APIs, health checks, files) skip it.
    SKIP_PREFIXES = ("/api/", "/open311/", "/healthz", "/static/", "/media/", "/robots.txt", "/sitemap.xml")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(self.SKIP_PREFIXES):
            chrome_for_request(request)
        return self.get_response(request)


class _ChromeSettingModuleProxy(SettingModuleProxy):
    def get_setting(self, model_name: str) -> Any:
        request = self.request_or_site
        if self.app_label == "cms" and model_name == "councilsettings" and isinstance(request, HttpRequest):
            chrome = chrome_for_request(request)
            if chrome.settings is not None:
                return chrome.settings
        return super().get_setting(model_name)


class _ChromeSettingProxy(SettingProxy):
    def __missing__(self, app_label: str) -> Any:
        self[app_label] = value = _ChromeSettingModuleProxy(self.request_or_site, app_label)
        return value


def chrome_settings(request: HttpRequest) -> dict[str, Any]:
    """Wagtail's ``settings`` context processor, with the council settings from the chrome."""
    return {"settings": _ChromeSettingProxy(request)}
