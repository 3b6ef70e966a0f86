"""One "Before you start", not two: a service page is its form's start page (GOV.UK's
pattern), so its start button begins the form at the first question."""

import re

import pytest

from django.urls import reverse

from cms.models import HomePage, ServicePage
from forms_engine.models import Draft
from tests.accounts.factories import UserFactory
from tests.cms.factories import publish
from tests.forms_engine.factories import missed_bin_form

pytestmark = pytest.mark.django_db

STEP_1 = re.compile(r"^/forms/missed-bin/([0-9a-f-]{36})/step/1/$")


def _service_page(form, *, before_you_start="<p>You will need your address.</p>") -> ServicePage:
    return publish(
        HomePage.objects.get(),
        ServicePage(
            title="Missed bins",
            slug="missed-bins",
            service_id=524,
            before_you_start=before_you_start,
            start_form=form,
        ),
    )


def _start_button(client, page: ServicePage) -> str:
    html = client.get(page.url).content.decode()
    match = re.search(r'<a href="([^"]+)" role="button"[^>]*govuk-button--start', html)
    assert match, html
    return match.group(1)


def test_the_service_pages_start_button_begins_the_form_at_its_first_question(client):
    form = missed_bin_form(intro="<p>You will need the address of the missed bin.</p>")
    page = _service_page(form)
    href = _start_button(client, page)
    assert href == "/forms/missed-bin/?from=service"

    response = client.get(href)
    assert response.status_code == 302
    assert STEP_1.match(response["Location"])
    first = client.get(response["Location"]).content.decode()
    assert "Which bin was missed?" in first
    assert "Before you start" not in first
    assert f'<a href="{page.url}" class="govuk-back-link">Back</a>' in first  # to the service page

    # Back from the first question, and the button pressed again: the same draft, not a second.
    again = client.get(href)
    assert again["Location"] == response["Location"]
    assert Draft.objects.count() == 1


def test_without_the_service_page_the_forms_own_start_page_shows(client):
    form = missed_bin_form(intro="<p>You will need the address of the missed bin.</p>")
    html = client.get(form.get_absolute_url()).content.decode()
    assert "Before you start" in html and "Start now" in html
    assert not Draft.objects.exists()  # looking at the start page makes nothing

    # A service page with no "Before you start" of its own leaves the form's to say it.
    page = _service_page(form, before_you_start="")
    response = client.get(_start_button(client, page))
    assert response.status_code == 200
    assert "You will need the address of the missed bin." in response.content.decode()
    assert not Draft.objects.exists()


def test_a_form_in_progress_is_offered_to_continue_rather_than_restarted(client):
    form = missed_bin_form()
    page = _service_page(form)
    href = _start_button(client, page)
    step_1 = client.get(href)["Location"]
    client.post(step_1, {"bin_type": "Recycling", "action": "continue"})

    html = client.get(href).content.decode()
    assert "Continue with your saved answers" in html
    assert Draft.objects.count() == 1


def test_a_form_that_needs_signing_in_goes_to_sign_in_then_the_first_question(client):
    form = missed_bin_form(sign_in="required")
    href = _start_button(client, _service_page(form))
    response = client.get(href)
    assert (
        response["Location"] == f"{reverse('account_login')}?next=%2Fforms%2Fmissed-bin%2F%3Ffrom%3Dservice"
    )

    client.force_login(UserFactory())
    assert STEP_1.match(client.get(href)["Location"])


def test_the_first_question_offers_signing_in_when_the_form_makes_it_optional(client):
    form = missed_bin_form(sign_in="optional")
    step_1 = client.get(_start_button(client, _service_page(form)))["Location"]
    html = client.get(step_1).content.decode()
    assert "to save your answers as you go and follow your request in your account." in html

    client.force_login(UserFactory())
    html = client.get(step_1).content.decode()  # the draft is claimed on signing in
    assert "to save your answers as you go" not in html
