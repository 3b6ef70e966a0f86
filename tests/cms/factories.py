"""Small council sites for the cms tests (search, feedback, API, caching, review)."""

from datetime import date

from wagtail.models import Page, PageViewRestriction

from cms.models import (
    ContactPage,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    StandardPage,
)

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156 Safari/537.36"}


def publish(parent: Page, page: Page, *, user=None) -> Page:
    parent.add_child(instance=page)
    page.save_revision(user=user).publish()
    return page


def draft(parent: Page, page: Page) -> Page:
    page.live = False
    parent.add_child(instance=page)
    page.save_revision()
    return page


def make_private(page: Page, restriction_type=PageViewRestriction.LOGIN, password="") -> Page:
    PageViewRestriction.objects.create(page=page, restriction_type=restriction_type, password=password)
    return page


class CouncilSite:
    """A council site: a category with services, a guide, news, a contact page, a private page and a draft."""

    def __init__(self):
        self.home = HomePage.objects.get()
        self.home.top_tasks = [
            (
                "task",
                {
                    "kind": "report",
                    "text": "Report a missed bin",
                    "page": None,
                    "url": "https://example.org/missed",
                },
            ),
            (
                "task",
                {
                    "kind": "pay",
                    "text": "Pay your council tax",
                    "page": None,
                    "url": "https://example.org/tax",
                },
            ),
        ]
        self.home.save_revision().publish()
        self.bins = publish(
            self.home, ServiceIndexPage(title="Bins and recycling", slug="bins", summary="Bin collections.")
        )
        self.missed_bin = publish(
            self.bins,
            ServicePage(
                title="Report a missed bin",
                slug="missed-bin",
                summary="Tell us if your bin was not emptied on collection day.",
                service_id=524,
                keywords="rubbish, refuse",
                start_url="https://services.council.example/missed-bin",
                body=[("paragraph", f'<p>Report it <a linktype="page" id="{self.home.pk}">online</a>.</p>')],
            ),
        )
        self.bulky = publish(
            self.bins,
            ServicePage(
                title="Book a bulky waste collection",
                slug="bulky-waste",
                summary="Large items like sofas and fridges.",
                service_id=528,
                keywords="sofa, fridge, mattress",
                start_page=self.missed_bin,
            ),
        )
        self.guide = publish(
            self.bins,
            GuidePage(
                title="Recycling guide",
                slug="recycling-guide",
                service_id=524,
                parts=[
                    ("part", {"title": "What goes in which bin", "slug": "which-bin", "body": []}),
                    ("part", {"title": "Christmas collections", "slug": "christmas", "body": []}),
                ],
            ),
        )
        self.news_index = publish(self.home, NewsIndexPage(title="News", slug="news"))
        self.news = publish(
            self.news_index,
            NewsPage(title="New recycling centre opens", slug="new-centre", date=date(2026, 3, 1), body=[]),
        )
        self.contact = publish(self.home, ContactPage(title="Contact us", slug="contact", intro="Call us."))
        self.private = make_private(
            publish(
                self.home,
                StandardPage(title="Staff bins rota", slug="staff-rota", body=[("paragraph", "<p>x</p>")]),
            )
        )
        self.private_child = publish(
            self.private,
            StandardPage(title="Private bins detail", slug="detail", body=[("paragraph", "<p>x</p>")]),
        )
        self.draft = draft(
            self.bins,
            ServicePage(
                title="Bins draft service", slug="draft-service", summary="Not yet live.", service_id=587
            ),
        )
