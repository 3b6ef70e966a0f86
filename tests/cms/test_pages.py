"""Page types: creation in the admin (Wagtail's test helpers), rendering, blocks and alerts."""

from datetime import timedelta

import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import (
    AccessibilityStatementPage,
    Alert,
    ContactPage,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    StandardPage,
    start_url_validate,
)
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 Chrome/156"}


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def category(home):
    return _publish(home, ServiceIndexPage(title="Bins and recycling", slug="bins", summary="Bins"))


@pytest.fixture
def service(category):
    return _publish(
        category,
        ServicePage(
            title="Report a missed bin",
            slug="missed-bin",
            summary="Tell us if your bin was not emptied.",
            service_id=524,
            keywords="rubbish, bin day",
            before_you_start="<p>You will need your postcode.</p>",
            start_url="https://services.council.example/missed-bin",
            body=[
                ("paragraph", "<p>Report it online.</p>"),
                ("inset_text", "<p>Collections run <b>Monday to Friday</b>.</p>"),
                ("warning_text", "Do not put hot ashes in your bin."),
                ("details", {"summary": "What counts as missed", "body": "<p>Out by 7am.</p>"}),
                (
                    "step_by_step",
                    {
                        "heading": "How it works",
                        "steps": [
                            {"title": "Report", "body": "<p>Tell us</p>"},
                            {"title": "We collect", "body": ""},
                        ],
                    },
                ),
                ("accordion", {"sections": [{"heading": "Garden waste", "body": "<p>Green bin</p>"}]}),
                (
                    "contact",
                    {
                        "heading": "Contact",
                        "name": "Waste team",
                        "phone": "01234 567890",
                        "email": "waste@council.example",
                        "address": "",
                        "opening_hours": "9 to 5",
                    },
                ),
                (
                    "table",
                    {
                        "data": [["Day", "Bin"], ["Monday", "Blue"]],
                        "first_row_is_table_header": True,
                        "first_col_is_header": False,
                        "table_caption": "Bin days",
                    },
                ),
                (
                    "call_to_action",
                    {
                        "text": "Check your bin day",
                        "page": None,
                        "url": "https://services.council.example/bin-day",
                        "start": False,
                    },
                ),
            ],
            related_links=[
                (
                    "link",
                    {
                        "text": "Order a new bin",
                        "page": None,
                        "url": "https://services.council.example/new-bin",
                    },
                )
            ],
        ),
    )


def test_service_page_renders_every_block_and_the_start_button(client, service):
    response = client.get(service.url, **BROWSER)
    assert response.status_code == 200
    html = response.text
    assert '<h1 class="govuk-heading-xl">Report a missed bin</h1>' in html
    assert "govuk-button--start" in html and 'href="https://services.council.example/missed-bin"' in html
    assert "Before you start" in html and "You will need your postcode." in html
    assert '<div class="govuk-inset-text"><p>Collections run <b>Monday to Friday</b>.</p></div>' in html
    assert "govuk-warning-text" in html and "Do not put hot ashes" in html
    assert 'class="govuk-details"' in html and "What counts as missed" in html
    assert "portal-steps" in html and "We collect" in html
    assert "govuk-accordion" in html and "Garden waste" in html
    assert 'href="tel:01234567890"' in html and "waste@council.example" in html
    assert '<caption class="govuk-table__caption govuk-table__caption--m">Bin days</caption>' in html
    assert '<th scope="col" class="govuk-table__header">Day</th>' in html
    assert 'href="https://services.council.example/bin-day"' in html
    assert "Related content" in html and "Order a new bin" in html
    assert 'class="govuk-breadcrumbs__link" href="/bins/"' in html


def test_a_service_page_view_is_logged_with_its_service_code(client, service):
    client.get(service.url, **BROWSER)
    assert Interaction.objects.get(type=InteractionType.PAGE_VIEW).service_code == 524


def test_contact_page_views_are_contact_page_view_interactions(client, home, service):
    contact = _publish(
        home,
        ContactPage(
            title="Contact us",
            slug="contact-us",
            online_options=[("link", {"text": "Report a missed bin", "page": service, "url": ""})],
        ),
    )
    response = client.get(contact.url, **BROWSER)
    assert "The quickest way is online" in response.text
    assert Interaction.objects.get().type == InteractionType.CONTACT_PAGE_VIEW


def test_category_lists_its_services_and_the_a_to_z_lists_all(client, home, category, service):
    other = _publish(home, ServiceIndexPage(title="Parking", slug="parking"))
    _publish(other, ServicePage(title="Apply for a parking permit", slug="permit", service_id=474))
    draft = ServicePage(title="Zebra crossings", slug="zebra", live=False)
    category.add_child(instance=draft)

    listing = client.get(category.url).text
    assert "Report a missed bin" in listing and "Apply for a parking permit" not in listing

    a_to_z = client.get("/a-to-z/")
    assert a_to_z.status_code == 200
    assert a_to_z.context["letters"].keys() == {"A", "R"}
    assert "Zebra crossings" not in a_to_z.text  # drafts never show


def test_guide_parts_have_contents_and_previous_next(client, home):
    guide = _publish(
        home,
        GuidePage(
            title="Moving home",
            slug="moving",
            parts=[
                ("part", {"title": "Overview", "slug": "overview", "body": [("paragraph", "<p>One</p>")]}),
                (
                    "part",
                    {"title": "Council tax", "slug": "council-tax", "body": [("paragraph", "<p>Two</p>")]},
                ),
                ("part", {"title": "Bins", "slug": "bins", "body": [("paragraph", "<p>Three</p>")]}),
            ],
        ),
    )
    first = client.get(guide.url).text
    assert '<span aria-current="page">Overview</span>' in first
    assert 'href="/moving/council-tax/"' in first and "Previous" not in first
    middle = client.get("/moving/council-tax/")
    assert middle.status_code == 200
    assert "<p>Two</p>" in middle.text
    assert 'href="/moving/" rel="prev"' in middle.text and 'href="/moving/bins/" rel="next"' in middle.text
    assert client.get("/moving/no-such-part/").status_code == 404


def test_news_index_lists_stories_newest_first_and_home_shows_latest(client, home):
    index = _publish(home, NewsIndexPage(title="News", slug="news"))
    for days, title in [(3, "Older story"), (1, "Newest story")]:
        _publish(
            index,
            NewsPage(
                title=title,
                slug=title.lower().replace(" ", "-"),
                date=timezone.localdate() - timedelta(days=days),
                body=[("paragraph", "<p>x</p>")],
            ),
        )
    text = client.get(index.url).text
    assert text.index("Newest story") < text.index("Older story")
    assert "Newest story" in client.get("/").text


def test_standard_page_renders(client, home):
    page = _publish(
        home,
        StandardPage(
            title="About this website",
            slug="about-this-website",
            body=[("paragraph", "<p>We aim to meet WCAG 2.2 AA.</p>")],
        ),
    )
    assert "We aim to meet WCAG 2.2 AA." in client.get(page.url).text


@pytest.mark.parametrize(
    ("starts", "ends", "shown"),
    [
        (timedelta(hours=1), timedelta(hours=2), False),  # future
        (timedelta(hours=-1), timedelta(hours=1), True),  # active
        (timedelta(hours=-1), None, True),  # open-ended
        (timedelta(hours=-3), timedelta(hours=-1), False),  # expired
    ],
    ids=["future", "active", "open-ended", "expired"],
)
def test_alerts_show_only_within_their_time_window(client, starts, ends, shown):
    now = timezone.now()
    Alert.objects.create(
        title="Bin collections delayed",
        message="<p>Up to two days late.</p>",
        starts_at=now + starts,
        ends_at=now + ends if ends is not None else None,
    )
    for path in ("/", "/accounts/login/"):
        assert ("Bin collections delayed" in client.get(path).text) is shown


def test_an_alert_cannot_end_before_it_starts():
    from django.core.exceptions import ValidationError

    now = timezone.now()
    alert = Alert(title="x", message="<p>x</p>", starts_at=now, ends_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError, match="end must be after the start"):
        alert.full_clean()


def test_service_page_api_fields(client, service):
    data = client.get(f"/api/v2/pages/{service.pk}/").json()
    assert data["service_code"] == 524
    assert data["start_link"] == "https://services.council.example/missed-bin"
    assert data["category"] == "Bins and recycling"
    assert [block["type"] for block in data["body"]][:3] == ["paragraph", "inset_text", "warning_text"]


class TestPageCreationInTheAdmin(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = HomePage.objects.get()
        cls.editor = StaffFactory(is_superuser=True)

    def setUp(self):
        self.client.force_login(self.editor)

    def test_page_type_rules(self):
        self.assertAllowedParentPageTypes(ServicePage, {ServiceIndexPage})
        self.assertAllowedSubpageTypes(
            HomePage,
            {
                ServiceIndexPage,
                GuidePage,
                NewsIndexPage,
                ContactPage,
                StandardPage,
                AccessibilityStatementPage,
            },
        )
        assert not HomePage.can_create_at(Page.get_first_root_node())  # only one home page

    def test_editor_creates_a_category_and_a_service_page(self):
        self.assertCanCreate(
            self.home,
            ServiceIndexPage,
            nested_form_data({"title": "Council tax", "slug": "council-tax", "intro": "Pay and discounts"}),
        )
        category = ServiceIndexPage.objects.get(slug="council-tax")
        self.assertCanCreate(
            category,
            ServicePage,
            nested_form_data(
                {
                    "title": "Pay your council tax",
                    "slug": "pay",
                    "service": 57,
                    "keywords": "pay bill",
                    "start_label": "Start now",
                    "start_url": "https://services.council.example/pay",
                    "before_you_start": rich_text("<p>Have your account number ready.</p>"),
                    "body": streamfield([("paragraph", rich_text("<p>Pay online.</p>"))]),
                    "contact": streamfield([]),
                    "related_links": streamfield([]),
                }
            ),
        )
        page = ServicePage.objects.get(slug="pay")
        assert page.service_id == 57 and page.live
        self.assertPageIsRenderable(page)

    def test_guide_and_news_are_renderable(self):
        guide = GuidePage(
            title="Guide", slug="guide", parts=[("part", {"title": "Part one", "slug": "one", "body": []})]
        )
        self.home.add_child(instance=guide)
        post_data = nested_form_data(
            {
                "title": "Guide",
                "slug": "guide",
                "service": "",
                "parts": streamfield(
                    [
                        (
                            "part",
                            {
                                "title": "Part one",
                                "slug": "one",
                                "body": streamfield([("paragraph", rich_text("<p>Hi</p>"))]),
                            },
                        )
                    ]
                ),
            }
        )
        # Staff have MFA; the helper's own superuser would be sent to set it up.
        self.assertPageIsPreviewable(guide, post_data=post_data, user=self.editor)
        self.assertPageIsRenderable(guide)  # signs the client out: as a visitor


@pytest.mark.parametrize(
    ("start_url", "valid"),
    [
        ("/pay/", True),
        ("https://services.council.example/pay", True),
        ("http://services.council.example/pay", True),
        ("pay", False),
        ("//evil.example/pay", False),
        ("javascript:alert(1)", False),
        ("/pay now/", False),
        ("ftp://files.example/x", False),
    ],
)
def test_a_start_button_goes_to_another_site_or_a_path_on_this_one(start_url, valid):
    if valid:
        start_url_validate(start_url)
    else:
        with pytest.raises(ValidationError):
            start_url_validate(start_url)
