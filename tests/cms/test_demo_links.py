"""The demo is how councils judge the product: every page it has is real.

After ``load_demo``: every internal link and every start button on every live page resolves,
no page promises an online service it has no start button for, "Pay a bill or fine" can be
found from everywhere a resident would look, and news stories do not repeat their summary.
"""

from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest

from django.core.management import call_command

from wagtail.models import Page, Site

from cms.models import ContactPage, GuidePage, HomePage, NewsPage, ServicePage
from tests.cms.factories import BROWSER

pytestmark = [
    pytest.mark.django_db,
    # Wagtail's moderation emails still call get_connection() (see docs/design.md, pitfalls).
    pytest.mark.filterwarnings("ignore:get_connection\\(\\) is deprecated"),
]

SIGN_IN = "/accounts/login/"


class _Links(HTMLParser):
    """The href of every <a>, and of every start button (a GOV.UK start button is an <a>)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.start_buttons: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag != "a" or not attributes.get("href"):
            return
        self.links.append(attributes["href"])
        if "govuk-button--start" in (attributes.get("class") or ""):
            self.start_buttons.append(attributes["href"])


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())
    return Site.objects.get(is_default_site=True)


def _internal(href: str, page_url: str, site_url: str) -> str | None:
    """The path (and query) of a link to this site, or None for another site, mailto: and the like."""
    if href.startswith("#"):
        return None
    absolute = urljoin(site_url + page_url, href)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != site_url:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _resolves(client, path: str) -> tuple[bool, str]:
    response = client.get(path, **BROWSER)
    if response.status_code == 200:
        return True, "200"
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(SIGN_IN):  # My account pages and sign-in-only forms
            return True, f"{response.status_code} to sign in"
        final = client.get(path, follow=True, **BROWSER)
        return final.status_code == 200, f"{response.status_code} to {location}, then {final.status_code}"
    return False, str(response.status_code)


def test_every_internal_link_and_start_button_in_the_demo_resolves(client, demo):
    site_url = demo.root_url
    pages = Page.objects.live().public().descendant_of(demo.root_page, inclusive=True).specific()
    to_check: dict[str, set[str]] = {}  # path -> the pages that link to it
    start_buttons = 0
    for page in pages:
        response = client.get(page.url, **BROWSER)
        assert response.status_code == 200, page.url
        found = _parse(response.text)
        for href in found.links:
            path = _internal(href, page.url, site_url)
            if path is not None:
                to_check.setdefault(path, set()).add(page.url)
        start_buttons += len(found.start_buttons)
        if isinstance(page, ServicePage) and page.start_link.startswith("/"):
            assert page.start_button_href in found.start_buttons, page.url
    assert len(to_check) > 50 and start_buttons >= 10  # the walk found the demo's links

    broken = []
    for path, linked_from in sorted(to_check.items()):
        ok, outcome = _resolves(client, path)
        if not ok:
            broken.append(f"{path} ({outcome}), linked from {', '.join(sorted(linked_from))}")
    assert not broken, "Broken links in the demo:\n" + "\n".join(broken)


def test_the_link_check_catches_a_broken_link(client, demo):
    """The check above is not vacuous: a start button to nowhere is reported."""
    page = ServicePage.objects.get(slug="report-fly-tipping")
    page.start_form = None
    page.start_url = "/no-such-service/"
    page.save_revision().publish()
    html = client.get(page.url, **BROWSER).text
    assert "/no-such-service/" in _parse(html).start_buttons
    assert _resolves(client, "/no-such-service/") == (False, "404")


def test_no_demo_page_promises_an_online_service_it_has_no_start_button_for(client, demo):
    for page in ServicePage.objects.live():
        html = client.get(page.url, **BROWSER).text
        if "You can do this online" in html:
            assert _parse(html).start_buttons, f"{page.url} says it is online but has no start button"
        if not page.start_link and not page.not_suitable_online:
            assert "You cannot do this online yet" in html, page.url

    for slug, form in (
        ("report-fly-tipping", "/forms/report-fly-tipping/"),
        ("street-light-fault", "/forms/report-a-street-light-fault/"),
    ):
        page = ServicePage.objects.get(slug=slug)
        # The form begins at its first question: the service page was its "Before you start".
        assert _parse(client.get(page.url, **BROWSER).text).start_buttons == [f"{form}?from=service"]
        form_page = client.get(form, **BROWSER)
        assert form_page.status_code == 200

    # "Collection days" is a real page, linked from the bins category and the moving home guide.
    days = ServicePage.objects.get(slug="bin-collection-days")
    html = client.get(days.url, **BROWSER).text
    assert "Monday" in html and "Friday" in html and "<table" in html
    assert days.url in client.get(days.get_parent().url, **BROWSER).text
    guide = GuidePage.objects.get(slug="moving-home-guide")
    assert f'href="{days.url}"' in client.get(f"{guide.url}bins/", **BROWSER).text


def test_news_stories_do_not_repeat_their_summary(client, demo):
    stories = NewsPage.objects.live()
    assert stories.count() == 3
    for story in stories:
        body = str(story.body)
        assert story.summary not in body, story.url
        assert len(body) > len(story.summary)
        html = client.get(story.url, **BROWSER).text
        main = html[html.index("<main") : html.index("</main>")]
        assert main.count(story.summary) == 1, story.url


def test_pay_a_bill_or_fine_can_be_found_from_everywhere_and_starts_at_pay(client, demo):
    pay = ServicePage.objects.get(slug="pay-a-bill-or-fine")
    assert pay.live and pay.get_parent().title == "Bills and fines"
    assert pay.start_link == "/pay/"
    link = f'href="{pay.url}"'

    home = HomePage.objects.get()
    assert link in client.get(home.url, **BROWSER).text  # a top task
    assert link in client.get(f"{home.url}a-to-z/", **BROWSER).text
    assert link in client.get(ContactPage.objects.get().url, **BROWSER).text
    fines = ServicePage.objects.get(slug="parking-fines")
    fines_html = client.get(fines.url, **BROWSER).text
    assert link in fines_html  # related content on the parking fines page
    assert _parse(fines_html).start_buttons == ["/pay/"]
    assert "Pay a parking fine" in fines_html
    assert pay.full_url in client.get("/sitemap.xml", **BROWSER).text
    for query in ("pay a bill", "pay an invoice", "pay a fine"):
        results = client.get("/search/", {"q": query}, **BROWSER)
        assert pay.title in [hit.page.title for hit in results.context["search"].hits], query

    assert _parse(client.get(pay.url, **BROWSER).text).start_buttons == ["/pay/"]
    (listed,) = client.get("/api/v2/services/", {"slug": "pay-a-bill-or-fine"}).json()["items"]
    assert listed["start_url"] == "http://testserver/pay/"  # absolute for other sites
    assert client.get("/pay/", **BROWSER).status_code == 200
    # The home page's "Pay a parking fine" goes to the page whose start button pays at /pay/.
    tasks = {task.value["text"]: task.value["page"] for task in home.top_tasks}
    assert tasks["Pay a parking fine"].specific.start_link == "/pay/"
    assert tasks["Pay a bill or fine"].pk == pay.pk
