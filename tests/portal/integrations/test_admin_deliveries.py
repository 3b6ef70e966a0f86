"""The delivery log: Integration managers see every delivery, filter it, read each attempt and
press "Resend"; case officers (even the case's own team) and other staff are refused, since
it names residents' cases."""

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

from portal.integrations.admin_views import DELIVERY_RESEND
from portal.integrations.constants import AttemptOutcome, DeliveryStatus, DestinationKind
from portal.integrations.models import Delivery, DeliveryAttempt
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.forms_engine.factories import form_build, question, step
from tests.portal.cases.factories import case_make, officer_in, team_make
from tests.portal.integrations.factories import (
    delivery_bare,
    destination_create,
    refused,
    submission_make,
)

pytestmark = pytest.mark.django_db

LOG = "/admin/integrations/deliveries/"


@pytest.fixture
def waste():
    return team_make("Waste", "waste@council.example")


@pytest.fixture
def form(waste):
    return form_build(
        slug="fly-tipping",
        title="Report fly-tipping",
        reference_prefix="FLY",
        team=waste,
        steps=[
            step(
                "What and where",
                question("text", "where", "Where is it?"),
                question("radios", "size", "How much is there?", choices=["A bag", "A van load"]),
            )
        ],
    )


@pytest.fixture
def manager():
    return staff_in("Integration managers")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_a_failed_webhook_is_shown_with_its_attempts_and_resent_to_the_receiver(
    django_capture_on_commit_callbacks, web, manager, form, webhook_receiver
):
    destination = destination_create(
        form, DestinationKind.WEBHOOK, name="Street scene", url=webhook_receiver.url
    )
    webhook_receiver.secret = destination.secret
    webhook_receiver.fail_next(400)  # a permanent refusal: failed at once, not retried
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_make(
            form, {"where": "Behind the library", "size": "A van load"}, user=UserFactory()
        )
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == DeliveryStatus.FAILED

    web.force_login(manager)
    log = web.get(LOG)
    assert log.status_code == 200
    assert submission.case.reference in log.text and "Street scene" in log.text
    assert "Failed, not tried again" in log.text  # the status in words, not only a colour
    detail_url = reverse("integrations_admin:delivery", args=[delivery.pk])
    assert f'href="{detail_url}"' in log.text
    detail = web.get(detail_url)
    assert detail.status_code == 200
    assert "Refused (not retried)" in detail.text and "400" in detail.text
    assert "Resend" in detail.text

    response = web.post(reverse("integrations_admin:delivery_resend", args=[delivery.pk]))
    assert response.status_code == 302 and response["Location"] == detail_url
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(webhook_receiver.valid) == 1
    assert webhook_receiver.valid[0].json  # the signed JSON reached the back office
    assert ModelLogEntry.objects.filter(
        action=DELIVERY_RESEND, object_id=str(delivery.pk), user=manager
    ).exists()
    detail = web.get(detail_url)
    assert "Delivered" in detail.text and f"resent by {manager}" in detail.text


def test_resend_is_a_post_and_only_for_a_delivery_that_has_finished(signed_in, form):
    destination = destination_create(form, DestinationKind.EMAIL)
    delivery = delivery_bare(destination, case=case_make(), status=DeliveryStatus.RETRYING, attempts=2)
    url = reverse("integrations_admin:delivery_resend", args=[delivery.pk])
    assert signed_in.get(url).status_code == 405
    assert "Resend" not in signed_in.get(reverse("integrations_admin:delivery", args=[delivery.pk])).text
    response = signed_in.post(url, follow=True)
    assert "still being tried" in response.text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 2)
    assert not ModelLogEntry.objects.filter(action=DELIVERY_RESEND).exists()

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_in("Integration managers"))
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    assert browser.post(url).status_code == 403  # no CSRF token
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_the_log_filters_by_status_destination_and_form_a_page_at_a_time(signed_in, form):
    other_form = form_build(slug="graffiti", title="Report graffiti", steps=form.steps.raw_data)
    email = destination_create(form, DestinationKind.EMAIL, name="Team inbox")
    hook = destination_create(form, DestinationKind.WEBHOOK, name="Back office")
    graffiti = destination_create(other_form, DestinationKind.EMAIL, name="Graffiti inbox")
    delivered = delivery_bare(
        hook,
        case=case_make(),
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        delivered_at=timezone.now(),
        remote_id="BO-778",
    )
    failed = delivery_bare(
        email, case=case_make(), status=DeliveryStatus.FAILED, attempts=10, last_error="SMTP 550"
    )
    elsewhere = delivery_bare(graffiti, case=case_make(), status=DeliveryStatus.RETRYING, attempts=3)

    def listed(**query):
        page = signed_in.get(LOG, query)
        assert page.status_code == 200
        return {row["delivery"].pk for row in page.context["rows"]}

    assert listed() == {delivered.pk, failed.pk, elsewhere.pk}
    assert listed(status="failed") == {failed.pk}
    assert listed(destination=hook.pk) == {delivered.pk}
    assert listed(form=other_form.pk) == {elsewhere.pk}
    assert listed(form=form.pk, status="delivered") == {delivered.pk}
    page = signed_in.get(LOG).text
    assert "BO-778" in page and "SMTP 550" in page and "Failed, will try again" in page
    # Each destination's own log is a link from the destinations list.
    assert f"?destination={hook.pk}" in signed_in.get("/admin/integrations/destinations/").text

    for _ in range(50):
        delivery_bare(email, case=None, status=DeliveryStatus.CANCELLED)
    first = signed_in.get(LOG)
    assert len(first.context["rows"]) == 50 and "Page 1 of 2" in first.text
    assert len(signed_in.get(LOG, {"p": 2}).context["rows"]) == 3


def test_the_case_links_only_for_staff_who_may_open_the_case(client, form, waste):
    destination = destination_create(form, DestinationKind.EMAIL)
    case = case_make(team=waste)
    delivery = delivery_bare(destination, case=case, status=DeliveryStatus.DELIVERED)
    DeliveryAttempt.objects.create(delivery=delivery, outcome=AttemptOutcome.DELIVERED, status_code=250)
    case_url = reverse("cases_admin:case", args=[case.pk])

    client.force_login(staff_in("Integration managers"))
    page = client.get(reverse("integrations_admin:delivery", args=[delivery.pk]))
    assert case.reference in page.text and case_url not in page.text  # they cannot open cases

    client.force_login(StaffFactory(is_superuser=True))
    page = client.get(reverse("integrations_admin:delivery", args=[delivery.pk]))
    assert f'href="{case_url}"' in page.text
    assert f'href="{case_url}"' in client.get(LOG).text


def test_case_officers_and_other_staff_are_refused_even_for_their_own_cases(client, form, waste):
    destination = destination_create(form, DestinationKind.EMAIL)
    case = case_make(team=waste)
    delivery = delivery_bare(destination, case=case, status=DeliveryStatus.FAILED, last_error="Mailbox full")
    people = [
        officer_in(waste),
        *(staff_in(group) for group in ("Service managers", "Contact centre", "Finance")),
    ]
    urls = [LOG, reverse("integrations_admin:delivery", args=[delivery.pk])]
    for person in people:
        client.force_login(person)
        for url in urls:
            response = client.get(url)
            assert refused(response), (person, url)
            assert case.reference not in response.text
        assert refused(client.post(reverse("integrations_admin:delivery_resend", args=[delivery.pk])))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_missing_delivery_is_404(signed_in):
    assert signed_in.get(reverse("integrations_admin:delivery", args=[999999])).status_code == 404
    assert signed_in.post(reverse("integrations_admin:delivery_resend", args=[999999])).status_code == 404
