"""Cancelling a payment is a POST with the CSRF token: a GET only asks "are you sure?"."""

import pytest

from django.test import Client
from django.urls import reverse

from payments.models import SandboxCheckout
from payments.services import payment_start
from tests.accounts.factories import UserFactory

from .factories import fee_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def started():
    case, payment = fee_case()
    return case, payment_start(payment=payment)


def _token(html: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_a_get_asks_and_a_post_without_the_token_is_refused(started):
    case, payment = started
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(case.resident)
    url = reverse("payments:cancel", kwargs={"reference": payment.reference})

    page = browser.get(url)  # what a link or an <img> elsewhere would do
    assert page.status_code == 200
    html = page.content.decode()
    assert "Are you sure you want to cancel this payment?" in html
    assert f'<form method="post" action="{url}"' in html and "Yes, cancel this payment" in html
    assert reverse("payments:pay", kwargs={"reference": payment.reference}) in html  # "No, go back"
    payment.refresh_from_db()
    assert payment.status == "started"

    assert browser.post(url).status_code == 403  # a forged form on another site
    payment.refresh_from_db()
    assert payment.status == "started"

    response = browser.post(url, {"csrfmiddlewaretoken": _token(html)})
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:result", kwargs={"reference": payment.reference})
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("cancelled", "cancelled_by_user")


def test_the_sandbox_page_cancels_with_a_button(web, started):
    case, payment = started
    web.force_login(case.resident)
    page = web.get(payment.next_url).content.decode()
    cancel_url = SandboxCheckout.objects.get(pk=payment.provider_id).cancel_url
    assert cancel_url.endswith(reverse("payments:cancel", kwargs={"reference": payment.reference}))
    form = page.split(f'<form method="post" action="{cancel_url}"', 1)[1].split("</form>", 1)[0]
    assert "csrfmiddlewaretoken" in form and "Cancel payment</button>" in form
    assert f'href="{cancel_url}"' not in page
    web.post(cancel_url)
    payment.refresh_from_db()
    assert payment.status == "cancelled"


def test_a_finished_payment_is_not_asked_about(web, started):
    case, payment = started
    web.force_login(case.resident)
    web.post(reverse("payments:cancel", kwargs={"reference": payment.reference}))
    response = web.get(reverse("payments:cancel", kwargs={"reference": payment.reference}))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:result", kwargs={"reference": payment.reference})


def test_another_resident_gets_404_and_cancels_nothing(web, started):
    _, payment = started
    web.force_login(UserFactory())
    url = reverse("payments:cancel", kwargs={"reference": payment.reference})
    assert web.get(url).status_code == 404
    assert web.post(url).status_code == 404
    payment.refresh_from_db()
    assert payment.status == "started"
