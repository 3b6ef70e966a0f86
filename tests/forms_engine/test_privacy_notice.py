"""Privacy information at the point of collection: every form links a privacy notice on its
first page and on 'Check your answers' (its own, or the site's), as GOV.UK Forms does."""

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from wagtail.models import Site

from cms.models import CouncilSettings, HomePage, StandardPage
from tests.cms.factories import publish
from tests.forms_engine.factories import form_republish, missed_bin_form
from tests.forms_engine.helpers import check_url, form_start, step_url

pytestmark = pytest.mark.django_db

HEADING = '<h2 class="govuk-heading-m">How we use your information</h2>'


def _notice(href: str) -> str:
    return f'Read our <a class="govuk-link" href="{href}">privacy notice</a>'


def _policy(slug: str) -> StandardPage:
    return publish(
        HomePage.objects.get(),
        StandardPage(title=slug.capitalize(), slug=slug, body=[("paragraph", "<p>x</p>")]),
    )


@pytest.fixture
def site_privacy(db) -> StandardPage:
    """The privacy notice every install starts with (``cms.services.statutory_pages_ensure``)."""
    page = StandardPage.objects.get(slug="privacy")
    assert CouncilSettings.for_site(Site.objects.get(is_default_site=True)).privacy_page_id == page.pk
    return page


def _start_and_check(client, form) -> tuple[str, str]:
    start = client.get(form.get_absolute_url()).content.decode()
    draft = form_start(client, form.slug)
    check = client.get(check_url(draft))
    assert check.status_code == 200
    return start, check.content.decode()


def test_a_form_without_its_own_notice_links_the_sites(client, site_privacy):
    form = missed_bin_form()
    for html in _start_and_check(client, form):
        assert HEADING in html
        assert _notice("/privacy/") in html


def test_a_forms_own_notice_page_is_linked_instead_of_the_sites(client, site_privacy):
    own = _policy("bins-privacy")
    form = missed_bin_form(privacy_notice_page=own)
    for html in _start_and_check(client, form):
        assert _notice("/bins-privacy/") in html
        assert _notice("/privacy/") not in html


def test_a_forms_notice_can_be_on_another_site(client, site_privacy):
    form = missed_bin_form(privacy_notice_url="https://partner.example/privacy")
    for html in _start_and_check(client, form):
        assert _notice("https://partner.example/privacy") in html


def test_the_notice_follows_the_live_form(client, site_privacy):
    form = missed_bin_form()
    form_republish(form, privacy_notice_url="https://partner.example/privacy")
    start, _ = _start_and_check(client, form)
    assert _notice("https://partner.example/privacy") in start


def test_with_no_privacy_notice_anywhere_nothing_is_linked(client, db):
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.privacy_page = None
    settings.save()
    form = missed_bin_form()
    for html in _start_and_check(client, form):
        assert HEADING not in html


def test_a_form_takes_a_page_or_a_link_not_both(db):
    with pytest.raises(ValidationError) as caught:
        missed_bin_form(
            privacy_notice_page=_policy("bins-privacy"), privacy_notice_url="https://partner.example/p"
        )
    assert caught.value.message_dict["privacy_notice_url"] == [
        "Choose a page or enter a link for the privacy notice, not both"
    ]


def test_the_editors_preview_shows_the_notice_residents_will_see(site_privacy):
    form = missed_bin_form(privacy_notice_url="https://partner.example/privacy", publish=False)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = form.serve_preview(request, form.default_preview_mode).render().content.decode()
    assert _notice("https://partner.example/privacy") in html


def test_the_first_question_shows_the_notice_too(client, site_privacy):
    """A form reached from its service page begins at its first question (no start page), so
    the notice is shown there as well as on 'Check your answers'."""
    draft = form_start(client, missed_bin_form().slug)
    first = client.get(step_url(draft, 1)).content.decode()
    assert HEADING in first and _notice("/privacy/") in first
    assert HEADING not in client.get(step_url(draft, 1, change=True)).content.decode()
