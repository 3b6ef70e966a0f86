"""The whole-response cache for visitors without a session (cms.page_cache)."""

import re
from datetime import timedelta

import pytest

from django.test import Client
from django.utils import timezone

from wagtail.models import PageViewRestriction

from cms import page_cache
from cms.models import Alert, CouncilSettings
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def _token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)


def test_a_second_anonymous_view_is_served_from_the_cache(client, site, django_assert_max_num_queries):
    client.get("/bins/missed-bin/", **BROWSER)  # creates the council settings: a new content version
    client.cookies.clear()
    first = client.get("/bins/missed-bin/", **BROWSER)
    client.cookies.clear()
    # One cache read and the page-view INSERT (wrapped in a savepoint inside the test transaction).
    with django_assert_max_num_queries(4) as queries:
        second = client.get("/bins/missed-bin/", **BROWSER)
    assert second.status_code == 200
    assert not any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)
    assert re.sub(r'(nonce|value)="[^"]+"', "", first.text) == re.sub(
        r'(nonce|value)="[^"]+"', "", second.text
    )


def test_every_hit_gets_its_own_csp_nonce_and_a_working_csrf_token(site):
    first = Client(enforce_csrf_checks=True)
    first.get("/bins/missed-bin/", **BROWSER)
    visitor = Client(enforce_csrf_checks=True)
    hit = visitor.get("/bins/missed-bin/", **BROWSER)
    nonce = _nonce(hit)
    assert f'nonce="{nonce}"' in hit.text and page_cache.NONCE_PLACEHOLDER not in hit.text
    assert page_cache.CSRF_PLACEHOLDER not in hit.text
    assert "csrftoken" in hit.cookies
    again = Client().get("/bins/missed-bin/", **BROWSER)
    assert _nonce(again) != nonce
    answer = visitor.post(
        "/feedback/",
        {
            "csrfmiddlewaretoken": _token(hit),
            "page": site.missed_bin.pk,
            "path": "/bins/missed-bin/",
            "useful": "yes",
        },
        **BROWSER,
    )
    assert answer.status_code == 302


def test_hits_are_logged_with_the_page_service_code(site):
    for _ in range(2):
        Client().get("/bins/missed-bin/", **BROWSER)
    views = Interaction.objects.filter(type=InteractionType.PAGE_VIEW, path="/bins/missed-bin/")
    assert [v.service_code for v in views] == [524, 524]
    for _ in range(2):
        Client().get("/contact/", **BROWSER)
    assert Interaction.objects.filter(type=InteractionType.CONTACT_PAGE_VIEW).count() == 2


def test_visitors_with_a_session_are_never_served_from_it(client, site):
    Client().get("/bins/missed-bin/", **BROWSER)  # cached
    client.post(
        "/feedback/", {"page": site.missed_bin.pk, "path": "/bins/missed-bin/", "useful": "yes"}, **BROWSER
    )
    assert "Thank you for your feedback" in client.get("/bins/missed-bin/", **BROWSER).text
    assert "Was this page useful?" in Client().get("/bins/missed-bin/", **BROWSER).text
    signed_in = Client()
    signed_in.force_login(UserFactory())
    assert "Sign out" in signed_in.get("/bins/missed-bin/", **BROWSER).text


def test_publishing_changes_what_everyone_sees(site):
    Client().get("/bins/missed-bin/", **BROWSER)
    site.missed_bin.title = "Report a bin we missed"
    site.missed_bin.save_revision().publish()
    assert "Report a bin we missed" in Client().get("/bins/missed-bin/", **BROWSER).text


def test_a_page_made_private_stops_being_served(site):
    assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 200
    PageViewRestriction.objects.create(page=site.bins, restriction_type=PageViewRestriction.LOGIN)
    assert Client().get("/bins/missed-bin/", **BROWSER).status_code == 302


def test_password_protected_pages_are_never_stored(site):
    PageViewRestriction.objects.create(
        page=site.bulky, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    for _ in range(2):
        response = Client().get("/bins/bulky-waste/", **BROWSER)
        assert response.status_code == 200 and "Large items like sofas" not in response.text


def test_alerts_appear_and_go_on_time(site):
    Client().get("/", **BROWSER)
    Alert.objects.create(title="Bin collections delayed", message="<p>Snow.</p>")
    assert "Bin collections delayed" in Client().get("/", **BROWSER).text
    soon = timezone.now() + timedelta(minutes=5)
    Alert.objects.create(
        title="Roadworks", message="<p>x</p>", starts_at=soon, ends_at=soon + timedelta(hours=1)
    )
    assert 290 <= page_cache._timeout() <= 300


def test_council_settings_changes_show_at_once(site):
    Client().get("/", **BROWSER)
    settings_ = CouncilSettings.for_site(site.home.get_site())
    settings_.council_name = "Anytown Borough Council"
    settings_.save()
    assert "Anytown Borough Council" in Client().get("/", **BROWSER).text


def test_other_query_strings_are_not_cached(site, django_assert_max_num_queries):
    Client().get("/?utm_source=x", **BROWSER)
    with django_assert_max_num_queries(50) as queries:
        Client().get("/?utm_source=x", **BROWSER)
    assert any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)


def test_it_can_be_switched_off(site, settings, django_assert_max_num_queries):
    settings.CMS_PAGE_CACHE_ENABLED = False
    Client().get("/", **BROWSER)
    with django_assert_max_num_queries(50) as queries:
        Client().get("/", **BROWSER)
    assert any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)


def test_anonymous_api_calls_are_cached_until_a_publish(site, django_assert_max_num_queries):
    first = Client().get("/api/v2/services/")
    with django_assert_max_num_queries(1):
        second = Client().get("/api/v2/services/")
    assert second.json() == first.json()
    assert second["Content-Type"] == "application/json"
    site.bulky.title = "Book a large item collection"
    site.bulky.save_revision().publish()
    titles = {item["title"] for item in Client().get("/api/v2/services/").json()["items"]}
    assert "Book a large item collection" in titles


def test_the_browsable_api_is_not_cached(site):
    Client().get("/api/v2/pages/")
    response = Client().get("/api/v2/pages/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
