"""The pages every council site must have: accessibility statement, privacy notice and cookies,
an editable footer that links them, privacy information at sign-up, and meta descriptions."""

import re
from datetime import date
from io import StringIO

import pytest

from django.core.exceptions import ValidationError
from django.core.management import call_command

from wagtail.models import Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text

from cms.demo import demo_statutory_pages_load
from cms.models import AccessibilityStatementPage, ComplianceStatus, CouncilSettings, HomePage, StandardPage
from tests.accounts.factories import StaffFactory
from tests.cms.factories import publish

pytestmark = pytest.mark.django_db

# The GOV.UK model accessibility statement's headings, in its order.
MODEL_HEADINGS = [
    "Accessibility statement for the Anytown Council website",
    "How accessible this website is",
    "Feedback and contact information",
    "Reporting accessibility problems with this website",
    "Enforcement procedure",
    "Technical information about this website’s accessibility",
    "Compliance status",
    "Non-accessible content",
    "Non-compliance with the accessibility regulations",
    "Content that’s not within the scope of the accessibility regulations",
    "What we’re doing to improve accessibility",
    "Preparation of this accessibility statement",
]


def _headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.S)]


def _footer(html: str) -> str:
    return html[html.index("<footer") :]


def _footer_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="govuk-footer__link" href="([^"]*)">([^<]*)</a>', _footer(html))


@pytest.fixture
def demo(db):
    """The demo's statutory pages and footer (``load_demo``'s part for them: the whole command is slow)."""
    demo_statutory_pages_load(HomePage.objects.get())


def test_load_demo_makes_the_three_statutory_pages_and_links_them(client, db):
    call_command("load_demo", stdout=StringIO())
    for path, title in [
        ("/accessibility/", "Accessibility statement for the Anytown Council website"),
        ("/privacy/", "Privacy notice"),
        ("/cookies/", "Cookies"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'<h1 class="govuk-heading-xl">{title}</h1>' in html, path
        assert _footer_links(html)[:4] == [
            ("/accessibility/", "Accessibility statement"),
            ("/privacy/", "Privacy"),
            ("/cookies/", "Cookies"),
            ("/contact-us/", "Contact us"),
        ]


def test_the_accessibility_statement_follows_the_model_statement(client, demo):
    html = client.get("/accessibility/").content.decode()
    headings = _headings(html)
    positions = [headings.index(h) for h in MODEL_HEADINGS]
    assert positions == sorted(positions)  # every heading, in the model's order
    assert "This website is partially compliant with the" in html
    assert (
        "Web Content Accessibility Guidelines version 2.2</a> AA standard, due to the non-compliances" in html
    )
    assert "https://www.equalityadvisoryservice.com/" in html
    assert 'href="mailto:accessibility@council.example"' in html
    statement = AccessibilityStatementPage.objects.get()
    assert f"This statement was prepared on {statement.prepared_on:%-d %B %Y}." in html
    assert f"It was last reviewed on {statement.reviewed_on:%-d %B %Y}." in html


def test_the_compliance_sentence_follows_the_chosen_status(client, demo):
    statement = AccessibilityStatementPage.objects.get()
    statement.compliance_status = ComplianceStatus.FULL
    statement.non_compliance = statement.disproportionate_burden = statement.out_of_scope = ""
    statement.full_clean()
    statement.save_revision().publish()
    html = client.get("/accessibility/").content.decode()
    assert "This website is fully compliant with the" in html
    assert "partially compliant" not in html
    assert "Non-accessible content" not in _headings(html)

    statement.compliance_status = ComplianceStatus.NOT
    statement.non_compliance = "<p>Most forms cannot be used with a keyboard.</p>"
    statement.save_revision().publish()
    html = client.get("/accessibility/").content.decode()
    assert "This website is not compliant with the" in html
    assert "The non-compliances are listed below." in html
    assert "Most forms cannot be used with a keyboard." in html


def test_a_statement_that_is_not_fully_compliant_must_list_the_content(db):
    page = AccessibilityStatementPage(
        title="Accessibility statement",
        slug="accessibility",
        website_name="our website",
        scope="this website.",
        contact_email="a11y@council.example",
        compliance_status=ComplianceStatus.PARTIAL,
        prepared_on=date(2026, 1, 5),
        reviewed_on=date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as caught:
        page.clean()
    assert caught.value.message_dict == {
        "non_compliance": ["List the content that is not accessible, or choose 'Fully compliant'"]
    }
    assert page.scope == "this website"  # the statement's sentence adds the full stop

    page.non_compliance = "<p>Old PDFs.</p>"
    with pytest.raises(ValidationError) as caught:
        page.clean()
    assert "reviewed_on" in caught.value.message_dict

    page.reviewed_on = date(2026, 2, 1)
    page.contact_email = ""
    with pytest.raises(ValidationError) as caught:
        page.clean()
    assert caught.value.message_dict == {
        "contact_email": ["Give at least one way to contact you about accessibility"]
    }


def test_the_demo_footer_links_the_statutory_pages(client, demo):
    links = _footer_links(client.get("/").content.decode())
    assert links[:3] == [
        ("/accessibility/", "Accessibility statement"),
        ("/privacy/", "Privacy"),
        ("/cookies/", "Cookies"),
    ]
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    assert settings.privacy_page.specific == StandardPage.objects.get(slug="privacy")


def test_loading_the_demo_again_keeps_the_editors_footer(client, demo):
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.footer_links = [("link", {"text": "Terms", "page": None, "url": "https://example.org/terms"})]
    settings.save()
    demo_statutory_pages_load(HomePage.objects.get())
    assert AccessibilityStatementPage.objects.count() == 1
    assert _footer_links(client.get("/").content.decode()) == [("https://example.org/terms", "Terms")]


def test_editors_change_the_footer_links_in_the_settings(client, demo):
    home = HomePage.objects.get()
    terms = publish(
        home, StandardPage(title="Terms of use", slug="terms", body=[("paragraph", "<p>Terms.</p>")])
    )
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.footer_links = [
        ("link", {"text": "Terms of use", "page": terms, "url": ""}),
        ("link", {"text": "Accessibility", "page": AccessibilityStatementPage.objects.get(), "url": ""}),
        ("link", {"text": "Jobs", "page": None, "url": "https://jobs.council.example/"}),
    ]
    settings.save()

    links = _footer_links(client.get("/").content.decode())
    assert links == [
        ("/terms/", "Terms of use"),
        ("/accessibility/", "Accessibility"),
        ("https://jobs.council.example/", "Jobs"),
    ]
    # A link to a page that has since been deleted is left out, not shown pointing nowhere.
    terms.delete()
    assert ("/terms/", "Terms of use") not in _footer_links(client.get("/privacy/").content.decode())


def test_without_footer_links_the_footer_still_links_home_and_my_account(client, db):
    html = client.get("/").content.decode()
    assert _footer_links(html)[:2] == [("/", "Home"), ("/my-account/", "My account")]


def test_sign_up_links_the_privacy_notice(client, demo):
    html = client.get("/accounts/signup/").content.decode()
    assert 'Read our <a class="govuk-link" href="/privacy/">privacy notice</a>' in html

    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.privacy_page = StandardPage.objects.get(slug="cookies")
    settings.save()
    assert (
        'Read our <a class="govuk-link" href="/cookies/">privacy notice</a>'
        in client.get("/accounts/signup/").content.decode()
    )


def test_every_page_has_a_meta_description(client, demo):
    privacy = StandardPage.objects.get(slug="privacy")
    html = client.get("/privacy/").content.decode()
    assert f'<meta name="description" content="{privacy.summary}">' in html

    privacy.search_description = "What we do with your data."
    privacy.save_revision().publish()
    assert (
        '<meta name="description" content="What we do with your data.">'
        in client.get("/privacy/").content.decode()
    )

    home = HomePage.objects.get()
    home.summary = ""
    home.intro = "Council services for Anytown."
    home.save_revision().publish()
    assert (
        '<meta name="description" content="Council services for Anytown.">'
        in client.get("/").content.decode()
    )


class TestAccessibilityStatementInTheAdmin(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = HomePage.objects.get()
        cls.editor = StaffFactory(is_superuser=True)

    def setUp(self):
        self.client.force_login(self.editor)

    def test_an_editor_writes_the_statement_and_can_have_only_one(self):
        self.assertCanCreate(
            self.home,
            AccessibilityStatementPage,
            nested_form_data(
                {
                    "title": "Accessibility statement",
                    "slug": "accessibility",
                    "website_name": "the Anytown Council website",
                    "scope": "www.anytown.gov.uk",
                    "contact_email": "a11y@council.example",
                    "response_days": 5,
                    "compliance_status": "partial",
                    "wcag_version": "2.2",
                    "non_compliance": rich_text("<p>Old PDFs have no headings.</p>"),
                    "prepared_on": "2026-11-01",
                }
            ),
        )
        statement = AccessibilityStatementPage.objects.get()
        assert statement.compliance_status == ComplianceStatus.PARTIAL
        assert not AccessibilityStatementPage.can_create_at(HomePage.objects.get())
        html = self.client.get("/accessibility/").content.decode()
        assert "This accessibility statement applies to www.anytown.gov.uk." in html
        assert "Old PDFs have no headings." in html
