"""The chrome every page shows (site, council settings, alerts, footer links) comes from the
cache, and a change to any of them shows on the next request."""

from datetime import timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wagtail.models import Site

from cms.chrome import chrome_for_request
from cms.models import Alert, AlertSeverity, CouncilSettings, StandardPage
from tests.accounts.factories import UserFactory, staff_in
from tests.cms.factories import publish

pytestmark = pytest.mark.django_db

CHROME_TABLES = ("wagtailcore_site", "cms_councilsettings", "cms_alert", "wagtailcore_page")


def _page_queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if "portal_cache" not in q["sql"]]


def _settings() -> CouncilSettings:
    return CouncilSettings.for_site(Site.objects.get(is_default_site=True))


def test_a_signed_in_page_reads_the_chrome_without_a_query(client):
    client.force_login(UserFactory())
    client.get("/my-account/")  # builds the chrome
    queries = _page_queries(client, "/my-account/")
    chrome_queries = [sql for sql in queries if any(f'"{table}"' in sql for table in CHROME_TABLES)]
    assert chrome_queries == []


def test_the_council_settings_change_on_the_next_request(client):
    client.force_login(UserFactory())
    assert "Anytown Borough Council" not in client.get("/my-account/").text
    settings = _settings()
    settings.council_name = "Anytown Borough Council"
    settings.phone = "01234 567890"
    settings.save()
    page = client.get("/my-account/").text
    assert "© Anytown Borough Council" in page
    assert 'href="tel:01234567890"' in page


def test_an_alert_shows_on_the_next_request_and_ends_on_its_own_clock(client, rf):
    client.force_login(UserFactory())
    client.get("/my-account/")
    now = timezone.now()
    alert = Alert.objects.create(
        title="Bin collections delayed",
        message="<p>Up to two days late.</p>",
        severity=AlertSeverity.WARNING,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    assert "Bin collections delayed" in client.get("/my-account/").text
    # The cached chrome keeps the alert's window: it drops out when the window closes,
    # with no change to the content and so no rebuild.
    chrome = chrome_for_request(rf.get("/"))
    assert [a.pk for a in chrome.alerts_active(at=now)] == [alert.pk]
    assert chrome.alerts_active(at=alert.ends_at + timedelta(seconds=1)) == []
    assert chrome.alerts_active(at=now - timedelta(minutes=2)) == []


def test_alerts_are_most_severe_first(rf):
    now = timezone.now()
    for title, severity, minutes in [
        ("Info", AlertSeverity.INFO, 1),
        ("Critical", AlertSeverity.CRITICAL, 5),
        ("Warning old", AlertSeverity.WARNING, 10),
        ("Warning new", AlertSeverity.WARNING, 2),
    ]:
        Alert.objects.create(
            title=title, message="<p>x</p>", severity=severity, starts_at=now - timedelta(minutes=minutes)
        )
    titles = [a.title for a in chrome_for_request(rf.get("/")).alerts_active(at=now)]
    assert titles == ["Critical", "Warning new", "Warning old", "Info"]


def test_footer_links_follow_the_page_they_point_to(client):
    home = Site.objects.get(is_default_site=True).root_page
    page = publish(home, StandardPage(title="Complaints", slug="complaints", body=[]))
    settings = _settings()
    settings.footer_links = [
        ("link", {"text": "Complaints", "page": page, "url": ""}),
        ("link", {"text": "Open data", "page": None, "url": "https://data.example.org/"}),
    ]
    settings.save()
    client.force_login(UserFactory())
    footer = client.get("/my-account/").text.split('<footer class="govuk-footer"', 1)[1]
    assert 'href="/complaints/">Complaints</a>' in footer
    assert 'href="https://data.example.org/">Open data</a>' in footer
    page.slug = "complaints-and-compliments"
    page.save_revision().publish()
    footer = client.get("/my-account/").text.split('<footer class="govuk-footer"', 1)[1]
    assert 'href="/complaints-and-compliments/">Complaints</a>' in footer


def test_staff_who_can_use_the_admin_get_the_page_toolbar_and_residents_do_not(client):
    home = Site.objects.get(is_default_site=True).root_page
    page = publish(home, StandardPage(title="Complaints", slug="complaints", body=[]))
    editor = staff_in("Editors")
    client.force_login(editor)
    assert "wagtail-userbar" in client.get(page.url).text
    client.force_login(UserFactory())
    assert "wagtail-userbar" not in client.get(page.url).text


def test_a_host_the_site_does_not_serve_is_refused_and_nothing_is_cached(client, settings):
    from django.core.cache import cache

    settings.ALLOWED_HOSTS = ["testserver"]
    client.cookies["sessionid"] = "not-a-session"  # past the page cache's fast path
    response = client.get("/my-account/", HTTP_HOST="attacker-123.example")
    assert response.status_code == 400
    assert cache.get("cms:chrome:1:attacker-123.example:80") is None
    client.get("/my-account/")  # an allowed host: its chrome is cached under its own name
    assert cache.get("cms:chrome:1:testserver:80") is not None


def test_publishing_a_page_leaves_the_chrome_cached(client):
    client.force_login(UserFactory())
    client.get("/my-account/")
    home = Site.objects.get(is_default_site=True).root_page
    publish(home, StandardPage(title="Complaints", slug="complaints", body=[]))
    queries = _page_queries(client, "/my-account/")
    assert [sql for sql in queries if any(f'"{table}"' in sql for table in CHROME_TABLES)] == []
