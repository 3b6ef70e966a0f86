"""What publishing invalidates in the page cache and the fragment cache (cms.cache, cms.page_cache).

Publishing a page refreshes the pages that show it and leaves the others cached; what
shows on every page (settings, alerts) and unpublishing, moving or renaming a page still
refresh everything; a draft refreshes nothing.
"""

from datetime import date

import pytest

from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms.cache import content_version
from cms.models import Alert, CouncilSettings, NewsPage, ServiceIndexPage, ServicePage
from tests.accounts.factories import UserFactory
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db


def _get(path: str, client: Client | None = None):
    """The response, and whether it was served from the cache (no page query at all)."""
    with CaptureQueriesContext(connection) as queries:
        response = (client or Client()).get(path, **BROWSER)
    rendered = any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)
    return response, not rendered


def _hit(path: str) -> bool:
    return _get(path)[1]


@pytest.fixture
def pages(site):
    """The council site with two more categories: an unrelated service, and a page that links
    to "Report a missed bin" in its related links; every page below is in the page cache."""
    site.parking = publish(site.home, ServiceIndexPage(title="Parking", slug="parking", summary="Permits."))
    site.permit = publish(
        site.parking,
        ServicePage(
            title="Apply for a parking permit", slug="permit", summary="Residents' permits.", service_id=474
        ),
    )
    site.streets = publish(site.home, ServiceIndexPage(title="Streets", slug="streets", summary="Roads."))
    site.linker = publish(
        site.streets,
        ServicePage(
            title="Report fly-tipping",
            slug="fly-tipping",
            summary="Rubbish dumped in the street.",
            service_id=587,
            related_links=[("link", {"text": "Missed bins", "page": site.missed_bin, "url": ""})],
        ),
    )
    site.paths = [
        "/",
        "/a-to-z/",
        "/bins/",
        "/bins/missed-bin/",
        "/bins/bulky-waste/",
        "/bins/recycling-guide/",
        "/bins/recycling-guide/christmas/",
        "/news/",
        "/parking/",
        "/parking/permit/",
        "/streets/fly-tipping/",
    ]
    Client().get("/", **BROWSER)  # makes the council settings (site-wide): then store every page
    for path in site.paths:
        assert Client().get(path, **BROWSER).status_code == 200, path
    assert all(_hit(path) for path in site.paths)
    return site


def test_publishing_a_service_refreshes_the_pages_that_show_it_and_no_other(pages):
    pages.missed_bin.title = "Report a bin we missed"
    pages.missed_bin.save_revision().publish()

    for path in ("/bins/missed-bin/", "/bins/", "/a-to-z/"):
        response, hit = _get(path)
        assert not hit and "Report a bin we missed" in response.text, path
    assert not _hit("/")  # the home page lists the categories and news, and links to the A to Z
    response, hit = _get("/streets/fly-tipping/")  # links to it in its related links
    assert not hit and "/bins/missed-bin/" in response.text
    response, hit = _get("/bins/bulky-waste/")  # its start button goes to it (a page chooser)
    assert not hit
    for path in ("/parking/permit/", "/parking/", "/news/", "/bins/recycling-guide/christmas/"):
        response, hit = _get(path)
        assert hit and response.status_code == 200, path
    # Served from the cache, the unrelated service has no idea of the new title.
    assert "Report a bin we missed" not in _get("/parking/permit/")[0].text


def test_a_page_created_live_refreshes_its_category(pages):
    pages.parking.add_child(
        instance=ServicePage(
            title="Pay a parking fine", slug="fine", summary="Penalty charges.", service_id=474
        )
    )
    response, hit = _get("/parking/")
    assert not hit and "Pay a parking fine" in response.text
    assert "Pay a parking fine" in _get("/a-to-z/")[0].text
    assert _hit("/parking/permit/") and _hit("/bins/")


def test_a_new_title_refreshes_the_breadcrumbs_below(pages):
    pages.bins.title = "Rubbish and recycling"
    pages.bins.save_revision().publish()
    for path in ("/bins/missed-bin/", "/bins/recycling-guide/", "/bins/recycling-guide/christmas/"):
        response, hit = _get(path)
        assert not hit and "Rubbish and recycling" in response.text, path
    assert "Rubbish and recycling" in _get("/")[0].text
    assert _hit("/parking/permit/")


def test_a_change_that_keeps_the_title_leaves_the_pages_below_cached(pages):
    pages.bins.summary = "Collections, recycling centres and bulky waste."
    pages.bins.save_revision().publish()
    response, hit = _get("/")
    assert not hit and "Collections, recycling centres and bulky waste." in response.text
    assert not _hit("/bins/")
    assert _hit("/bins/missed-bin/") and _hit("/bins/recycling-guide/christmas/")


def test_a_draft_refreshes_nothing(pages):
    before = content_version()
    pages.missed_bin.title = "A title still in draft"
    pages.missed_bin.save_revision()
    assert content_version() == before
    assert all(_hit(path) for path in pages.paths)
    assert "A title still in draft" not in _get("/bins/missed-bin/")[0].text


def test_publishing_changes_the_content_version(pages):
    before = content_version()
    pages.permit.save_revision().publish()
    assert content_version() != before


def _unpublish(pages):
    pages.bulky.unpublish()


def _move(pages):
    pages.bulky.move(pages.parking, pos="last-child")


def _new_slug(pages):
    pages.missed_bin.slug = "missed-collection"
    pages.missed_bin.save_revision().publish()


def _settings(pages):
    settings_ = CouncilSettings.for_site(pages.home.get_site())
    settings_.council_name = "Anytown Borough Council"
    settings_.save()


def _alert(pages):
    Alert.objects.create(title="Bin collections delayed", message="<p>Snow.</p>")


def _delete(pages):
    pages.guide.delete()


@pytest.mark.parametrize("change", [_unpublish, _move, _new_slug, _settings, _alert, _delete])
def test_site_wide_changes_refresh_every_page(pages, change):
    change(pages)
    assert not any(_hit(path) for path in ("/", "/parking/permit/", "/news/", "/streets/fly-tipping/"))


def test_the_old_address_of_a_renamed_page_is_not_served(pages):
    _new_slug(pages)
    assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 404
    assert Client().get("/bins/missed-collection/", **BROWSER).status_code == 200


def test_the_home_page_fragment_shows_a_new_story_and_a_service_fragment_stays(pages):
    reader = Client()
    reader.force_login(UserFactory())  # never served from the page cache: fragments only
    assert "New recycling centre opens" in reader.get("/", **BROWSER).text
    assert (
        '<p class="govuk-body-l">Residents&#x27; permits.</p>'
        in reader.get("/parking/permit/", **BROWSER).text
    )
    # Changed behind the cache's back (no signal): only a rebuilt fragment would show it.
    ServicePage.objects.filter(pk=pages.permit.pk).update(summary="Changed without publishing.")
    publish(
        pages.news_index,
        NewsPage(title="Garden waste collections restart", slug="garden", date=date(2026, 4, 1), body=[]),
    )
    assert "Garden waste collections restart" in reader.get("/", **BROWSER).text
    permit = reader.get("/parking/permit/", **BROWSER).text
    assert '<p class="govuk-body-l">Residents&#x27; permits.</p>' in permit  # the fragment, as cached
    assert '<p class="govuk-body-l">Changed without publishing.</p>' not in permit


class _CacheCalls:
    """Every call to the cache backend, by method (the backend's own methods, wrapped)."""

    METHODS = ("get", "get_many", "get_or_set", "set", "set_many", "add", "delete", "has_key", "touch")

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, object]] = []
        backend = caches["default"]
        for name in self.METHODS:
            monkeypatch.setattr(backend, name, self._wrap(name, getattr(backend, name)))

    def _wrap(self, name, method):
        def counted(*args, **kwargs):
            self.calls.append((name, args[0] if args else None))
            return method(*args, **kwargs)

        return counted

    def cms(self) -> list[tuple[str, object]]:
        """The calls about cms keys (the page cache and its versions)."""

        def about_cms(keys) -> bool:
            keys = [keys] if isinstance(keys, str) else list(keys or [])
            return any(str(k).startswith("cms:") for k in keys)

        return [(name, keys) for name, keys in self.calls if about_cms(keys)]


def test_a_hit_is_one_cache_round_trip_and_no_query(pages, monkeypatch):
    calls = _CacheCalls(monkeypatch)
    for path in ("/bins/missed-bin/", "/a-to-z/", "/bins/recycling-guide/christmas/"):
        calls.calls.clear()
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(path, **BROWSER)
        assert response.status_code == 200
        assert [name for name, _ in calls.cms()] == ["get_many"], path
        statements = [q["sql"] for q in queries.captured_queries if "portal_cache" not in q["sql"]]
        assert not [
            sql for sql in statements if "interactions_interaction" not in sql and "SAVEPOINT" not in sql
        ]


def test_after_a_publish_the_next_view_is_stored_and_then_a_hit(pages, monkeypatch):
    pages.missed_bin.save_revision().publish()
    assert not _hit("/bins/missed-bin/")
    calls = _CacheCalls(monkeypatch)
    assert _hit("/bins/missed-bin/")
    assert [name for name, _ in calls.cms()] == ["get_many"]


def test_a_guide_part_with_a_new_address_is_not_served_at_the_old_one(pages):
    # A route's entry depends on its page's path too, so the old part's address goes stale
    # although nothing lists it any more.
    parts = list(pages.guide.parts.raw_data)
    parts[1]["value"]["slug"] = "winter"
    pages.guide.parts = parts
    pages.guide.save_revision().publish()
    assert Client().get("/bins/recycling-guide/christmas/", **BROWSER).status_code == 404
    assert Client().get("/bins/recycling-guide/winter/", **BROWSER).status_code == 200
    assert _hit("/parking/permit/")
