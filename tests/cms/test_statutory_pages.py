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
from cms.models import (
    AccessibilityStatementPage,
    ComplianceStatus,
    CouncilSettings,
    HomePage,
    ServicePage,
    StandardPage,
)
from cms.services import statutory_pages_ensure
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


# --- Every install has them, demo or not (``statutory_pages_ensure`` runs after migrate) ---


def test_after_migrate_the_three_pages_answer_and_the_footer_links_them(client, db):
    """The test database is made by migrate alone: no demo here."""
    assert not ServicePage.objects.exists()  # no demo content
    for path, h1 in [
        ("/accessibility/", "Accessibility statement for the Anytown Council website"),
        ("/privacy/", "Privacy notice"),
        ("/cookies/", "Cookies"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert f'<h1 class="govuk-heading-xl">{h1}</h1>' in html, path
        assert _footer_links(html) == [
            ("/accessibility/", "Accessibility statement"),
            ("/privacy/", "Privacy"),
            ("/cookies/", "Cookies"),
        ]
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    assert settings.privacy_page.specific == StandardPage.objects.get(slug="privacy")
    assert 'href="/privacy/">privacy notice</a>' in client.get("/accounts/signup/").content.decode()


def test_the_install_statement_has_the_model_structure_and_marks_what_to_complete(client, db):
    html = client.get("/accessibility/").content.decode()
    headings = _headings(html)
    expected = [h for h in MODEL_HEADINGS if h != "Enforcement procedure"]  # always there: checked below
    positions = [headings.index(h) for h in expected]
    assert positions == sorted(positions)
    assert "Enforcement procedure" in headings
    assert html.count("[to complete") >= 6  # scope, problems, contact, non-compliance, plans, testing
    privacy = client.get("/privacy/").content.decode()
    assert "[to complete: your lawful basis" in privacy
    for page in [
        AccessibilityStatementPage.objects.get(),
        *StandardPage.objects.filter(slug__in=["privacy", "cookies"]),
    ]:
        assert page.live and page.review_by == date.today()  # top of the editors' review list


def test_ensuring_again_changes_nothing_an_editor_has_done(client, db):
    assert statutory_pages_ensure() == 0  # already made by migrate
    assert AccessibilityStatementPage.objects.count() == 1
    assert StandardPage.objects.filter(slug__in=["privacy", "cookies"]).count() == 2

    # An editor removes the cookies link and the privacy setting, and unpublishes the cookies page.
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.footer_links = [("link", {"text": "Jobs", "page": None, "url": "https://jobs.council.example/"})]
    settings.save()
    StandardPage.objects.get(slug="cookies").unpublish()
    assert statutory_pages_ensure() == 0
    assert not StandardPage.objects.get(slug="cookies").live
    assert _footer_links(client.get("/").content.decode()) == [("https://jobs.council.example/", "Jobs")]

    # Once made, they are the editors': one renamed (or deleted) is not made again.
    privacy = StandardPage.objects.get(slug="privacy")
    privacy.slug = "privacy-notice"
    privacy.save_revision().publish()
    assert statutory_pages_ensure() == 0
    assert not StandardPage.objects.filter(slug="privacy").exists()


def test_an_install_that_never_had_them_gets_them_at_its_next_migrate(client, db):
    """A site made before this existed: nothing made yet, a footer of its own."""
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    for page in StandardPage.objects.filter(slug__in=["privacy", "cookies"]):
        page.delete()
    AccessibilityStatementPage.objects.get().delete()
    settings.refresh_from_db()
    settings.statutory_pages_made = False
    settings.footer_links = [("link", {"text": "Jobs", "page": None, "url": "https://jobs.council.example/"})]
    settings.save()

    call_command("migrate", verbosity=0)  # nothing to migrate: post_migrate runs all the same
    for path in ("/accessibility/", "/privacy/", "/cookies/"):
        assert client.get(path).status_code == 200, path
    assert _footer_links(client.get("/").content.decode()) == [("https://jobs.council.example/", "Jobs")]
    settings.refresh_from_db()
    assert settings.privacy_page.specific == StandardPage.objects.get(slug="privacy")


def test_the_demo_fills_in_the_install_pages_rather_than_adding_its_own(client, db):
    statement = AccessibilityStatementPage.objects.get()
    demo_statutory_pages_load(HomePage.objects.get())
    assert AccessibilityStatementPage.objects.get().pk == statement.pk
    assert StandardPage.objects.filter(slug="privacy").count() == 1
    for path in ("/accessibility/", "/privacy/", "/cookies/"):
        assert "[to complete" not in client.get(path).content.decode(), path


def test_the_demo_leaves_a_statement_an_editor_has_saved(client, db):
    editor = StaffFactory(is_superuser=True)
    statement = AccessibilityStatementPage.objects.get()
    statement.scope = "www.ourtown.gov.uk [to complete: the app]"
    statement.save_revision(user=editor).publish()
    demo_statutory_pages_load(HomePage.objects.get())
    assert "This accessibility statement applies to www.ourtown.gov.uk [to complete: the app]." in (
        client.get("/accessibility/").content.decode()
    )


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
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.footer_links = []
    settings.save()
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
        AccessibilityStatementPage.objects.get().delete()  # the one every install starts with

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
