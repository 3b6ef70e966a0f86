"""Service alerts in the browser: the public subscribe page (with its errors) and the My
account alerts page, each checked with axe-core on the way."""

import re

import pytest

from django.core import mail

from cms.models import AlertSubscription
from tests.accounts.factories import UserFactory
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_subscribe_without_an_account_with_a_mistake_first(journey, mailoutbox):
    page = journey.page
    journey.goto("/alerts/subscribe/")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address").fill("sam@example")
    page.get_by_label("Alerts for my area").check()
    page.get_by_label("Postcode").fill("QQ")
    journey.click_and_check(page.get_by_role("button", name="Get alerts"))  # axe on the errors too
    assert page.title().startswith("Error:")
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.get_by_label("Email address").input_value() == "sam@example"
    assert page.get_by_label("Postcode").input_value() == "QQ"

    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Postcode").fill("LS6 2AB")
    journey.click_and_check(page.get_by_role("button", name="Get alerts"))
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"

    link = re.search(r"https?://[^\s]+(/alerts/confirm/[^\s]+/)", mail.outbox[-1].body).group(1)
    journey.goto(link)
    journey.click_and_check(page.get_by_role("button", name="Start my alerts"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your alerts have started"
    assert AlertSubscription.objects.get().is_active


def test_the_my_account_alerts_page(journey):
    user = UserFactory(email="sam@example.org", phone="07700900123", postcode="LS6 2AB")
    journey.goto("/accounts/login/?next=/my-account/alerts/")
    sign_in(journey, user)
    journey.goto("/my-account/alerts/")
    page = journey.page
    assert page.get_by_label("Postcode").input_value() == "LS6 2AB"
    page.get_by_label("Text message", exact=True).check()
    journey.click_and_check(page.get_by_role("button", name="Get alerts"))
    assert page.get_by_text("You will get alerts for LS6 by text message").is_visible()
    journey.click_and_check(page.get_by_role("link", name=re.compile("^Stop")))
    journey.click_and_check(page.get_by_role("button", name="Stop these alerts"))
    assert page.get_by_text("You do not get any alerts").is_visible()
