"""Home and service pages: query counts stay flat as content grows; fragments are cached
until something is published."""

from datetime import date, timedelta

import pytest

from cms.cache import content_version_bump
from cms.models import HomePage, NewsIndexPage, NewsPage, ServiceIndexPage, ServicePage
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db


class Content:
    def __init__(self):
        self.home = HomePage.objects.get()
        self.news_index = publish(self.home, NewsIndexPage(title="News", slug="news"))
        self.categories = []
        self.services = []
        self.news = []
        self.service = None

    def grow(self, n: int):
        """Add n categories, each with a service, and n news stories; the first service
        links to every service, and the home page's top tasks to the first n services."""
        start = len(self.categories)
        for i in range(start, start + n):
            category = publish(
                self.home, ServiceIndexPage(title=f"Category {i}", slug=f"category-{i}", summary="S")
            )
            self.categories.append(category)
            self.services.append(
                publish(
                    category,
                    ServicePage(title=f"Service {i}", slug=f"service-{i}", summary="S", service_id=524),
                )
            )
            self.news.append(
                publish(
                    self.news_index,
                    NewsPage(
                        title=f"Story {i}",
                        slug=f"story-{i}",
                        date=date(2026, 1, 1) + timedelta(days=i),
                        body=[],
                    ),
                )
            )
        self.service = self.service or self.services[0]
        self.service.related_links = [
            ("link", {"text": s.title, "page": s, "url": ""})
            for s in self.services
            if s.pk != self.service.pk
        ]
        self.service.body = [
            ("call_to_action", {"text": "Go", "page": s, "url": "", "start": False}) for s in self.services
        ]
        self.service.save_revision().publish()
        self.home.top_tasks = [
            ("task", {"kind": "report", "text": s.title, "page": s, "url": ""}) for s in self.services[:n]
        ]
        self.home.save_revision().publish()
        self.home.refresh_from_db()
        self.service.refresh_from_db()


def _cold(client, url, assert_max, limit):
    """Queries for the first view after a publish: the page's fragments are rebuilt."""
    client.get(url, **BROWSER)  # warm the caches that publishing leaves alone (sites, settings)
    content_version_bump()
    with assert_max(limit) as context:
        response = client.get(url, **BROWSER)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("n", [3])
def test_home_page_queries_do_not_grow_with_content(client, django_assert_max_num_queries, n):
    content = Content()
    content.grow(n)
    small = _cold(client, "/", django_assert_max_num_queries, 60)
    content.grow(2 * n)
    assert len(content.categories) == 3 * n
    html = client.get("/", **BROWSER).text
    assert f"Category {3 * n - 1}" in html and f"Story {3 * n - 1}" in html
    _cold(client, "/", django_assert_max_num_queries, small)


@pytest.mark.parametrize("n", [3])
def test_service_page_queries_do_not_grow_with_content(client, django_assert_max_num_queries, n):
    content = Content()
    content.grow(n)
    url = content.service.url
    small = _cold(client, url, django_assert_max_num_queries, 60)
    content.grow(2 * n)
    html = client.get(url, **BROWSER).text
    assert f"Service {3 * n - 1}" in html
    _cold(client, url, django_assert_max_num_queries, small)


def test_cached_views_use_fewer_queries(client, django_assert_max_num_queries):
    content = Content()
    content.grow(4)
    for url in ("/", content.service.url):
        cold = _cold(client, url, django_assert_max_num_queries, 60)
        with django_assert_max_num_queries(cold - 1):
            client.get(url, **BROWSER)


def test_publishing_any_page_refreshes_the_cached_home_page(client):
    content = Content()
    content.grow(1)
    assert "Story 0" in client.get("/", **BROWSER).text
    story = content.news[0]
    story.title = "Bin collections change at Easter"
    story.save_revision().publish()
    assert "Bin collections change at Easter" in client.get("/", **BROWSER).text
    story.unpublish()
    assert "Bin collections change at Easter" not in client.get("/", **BROWSER).text


def test_saving_a_draft_does_not_change_what_people_see(client):
    content = Content()
    content.grow(1)
    service = content.service
    service.title = "Draft title"
    service.save_revision()
    html = client.get(service.url, **BROWSER).text
    assert "Service 0" in html and "Draft title" not in html


def test_signed_in_parts_are_never_cached(client):
    from tests.accounts.factories import UserFactory

    Content().grow(1)
    assert "Create an account" in client.get("/", **BROWSER).text
    client.force_login(UserFactory())
    html = client.get("/", **BROWSER).text
    assert "Sign out" in html and "Create an account" not in html
    # The feedback form's CSRF token is per visitor, outside the cached fragment.
    assert 'name="csrfmiddlewaretoken"' in html
