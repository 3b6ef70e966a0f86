"""The portal as an Open311 client, filing submissions into a local fake back office."""

import time

import pytest

from django.test import Client

from portal.cases.models import CaseEvent
from portal.integrations.constants import DestinationKind
from portal.integrations.models import Delivery
from tests.portal.integrations.delivery_support import (
    destination_make,
    draft_answered,
    fresh,
    pothole_form,
    run_due,
    submit,
)

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG\r\n\x1a\n a pothole " * 10


def _open311(form, fake, **fields):
    fields.setdefault("attribute_map", {"size": "pothole_size"})
    fields.setdefault("url", fake.url)
    return destination_make(
        form,
        DestinationKind.OPEN311,
        open311_api_key=fake.api_key,
        open311_service_code=fake.service_code,
        open311_jurisdiction="council.example",
        **fields,
    )


def test_a_submission_is_filed_and_their_reference_comes_back_onto_the_case(fake_open311):
    form = pothole_form()
    _open311(form, fake_open311)
    submission = submit(draft_answered(form, photo=PHOTO))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "delivered", delivery.last_error
    (sent,) = fake_open311.received
    assert sent["api_key"] == fake_open311.api_key and sent["service_code"] == fake_open311.service_code
    assert sent["jurisdiction_id"] == "council.example"
    assert (sent["lat"], sent["long"]) == ("51.501", "-0.1419") and "address_string" not in sent
    assert sent["description"].startswith("A deep pothole")
    assert sent["attribute[pothole_size]"] == "Bigger than a dinner plate"
    user = submission.user
    assert sent["email"] == user.email and sent["phone"] == "07700 900123"
    assert sent["first_name"] and sent["first_name"] in user.full_name
    # The photo as a signed link the back office can fetch.
    path = "/" + sent["media_url"].split("://", 1)[1].split("/", 1)[1]
    response = Client().get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PHOTO
    # Their id on the delivery, and noted on the case for staff.
    remote_id = next(iter(fake_open311.filed))
    assert delivery.remote_id == remote_id
    note = CaseEvent.objects.get(case=submission.case, type="internal_note")
    assert note.message == f"Sent to Confirm: their reference {remote_id}" and not note.public


def test_without_coordinates_the_location_goes_as_an_address_string(fake_open311):
    form = pothole_form(with_file=False)
    _open311(form, fake_open311, attribute_map={})
    answers = {
        "where": {"description": "Corner of Mill Lane and Church Road"},
        "size": "Smaller than a dinner plate",
        "details": "Small but deep",
    }
    submission = submit(draft_answered(form, answers=answers))
    assert Delivery.objects.get(submission=submission).status == "delivered"
    (sent,) = fake_open311.received
    assert sent["address_string"] == "Corner of Mill Lane and Church Road" and "lat" not in sent
    assert "media_url" not in sent and not any(k.startswith("attribute") for k in sent)


def test_their_errors_are_permanent_or_retried_as_http_says(fake_open311):
    form = pothole_form(with_file=False)
    destination = _open311(form, fake_open311)
    fake_open311.fail_next(500)
    retried = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert retried.status == "retrying"
    run_due(after_seconds=61)
    assert fresh(retried).status == "delivered" and fresh(retried).remote_id

    destination.open311_service_code = "NOT-THEIRS"
    destination.save()
    refused = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert (
        refused.status == "failed" and "HTTP 400" in refused.last_error and "not found" in refused.last_error
    )


def test_a_token_answer_counts_as_delivered_with_the_token_logged(fake_open311):
    form = pothole_form(with_file=False)
    _open311(form, fake_open311)
    fake_open311.answer_with_token = True
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "delivered" and delivery.remote_id == ""
    (attempt,) = delivery.attempt_log.all()
    assert "token tok-" in attempt.detail
    assert not CaseEvent.objects.filter(case=delivery.case, type="internal_note").exists()


def test_a_back_office_that_is_down_is_retried(fake_open311):
    form = pothole_form(with_file=False)
    _open311(form, fake_open311)
    fake_open311.stop()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "retrying"
    fake_open311.start()
    run_due(after_seconds=61)
    assert fresh(delivery).status == "delivered"


@pytest.mark.parametrize("url", [None, "http://169.254.169.254/open311/v2", "https://10.0.0.1/open311/v2"])
def test_a_back_office_on_a_private_address_is_refused_before_connecting(fake_open311, settings, url):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    form = pothole_form(with_file=False)
    _open311(form, fake_open311, url=url or fake_open311.url)
    started = time.monotonic()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert time.monotonic() - started < 5
    assert delivery.status == "failed" and "private, local or reserved address" in delivery.last_error
    assert fake_open311.received == []
