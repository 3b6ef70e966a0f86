"""Webhook deliveries over real HTTP to a local receiver that checks the signature itself."""

import hashlib
import hmac
import time
from datetime import timedelta

import pytest

from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.cases.models import CaseEvent
from portal.integrations.files import SALT, file_token
from portal.integrations.models import Delivery, Destination
from portal.integrations.services.deliveries import (
    destination_secret_replace,
    webhook_payload,
    webhook_signature,
)
from tests.fakes.webhook_receiver import signature_valid
from tests.portal.integrations.delivery_support import (
    ANSWERS,
    destination_make,
    draft_answered,
    fresh,
    pothole_form,
    submit,
)

pytestmark = pytest.mark.django_db

PHOTO = b"\xff\xd8\xff\xe0 a photo of a pothole " * 20


def test_a_submission_is_posted_signed_with_its_answers_keyed_by_question(webhook_receiver):
    form = pothole_form()
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    webhook_receiver.answer = {"id": "HW-991"}
    submission = submit(draft_answered(form, photo=PHOTO))

    (request,) = webhook_receiver.received
    assert request.signature_ok and request.status == 200
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.remote_id == "HW-991"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == headers["portal-delivery"] == str(delivery.pk)
    body = request.json
    assert body["id"] == str(delivery.pk) and body["event"] == "submission.created"
    assert body["form"] == {"slug": "report-pothole", "title": "Report a pothole", "version": 1}
    case = submission.case
    assert body["case"]["reference"] == case.reference and body["case"]["status"] == "submitted"
    assert body["case"]["url"] == f"{settings.SITE_URL}/admin/cases/{case.pk}/"  # the staff page
    assert body["answers"]["where"] == ANSWERS["where"]
    assert body["answers"]["size"] == "Bigger than a dinner plate"
    assert body["answers"]["photo"] == "pothole.jpg"
    assert body["labels"]["size"] == "How big is it?"
    assert body["channel"] == "web" and body["payment"] is None
    (file,) = body["files"]
    assert file["question"] == "photo" and file["size"] == len(PHOTO)
    assert file["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    # The signed link downloads the file, with no session.
    path = file["url"].split("://", 1)[1].split("/", 1)[1]
    response = Client().get("/" + path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PHOTO
    assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    # Their id is noted on the case for staff only.
    note = CaseEvent.objects.get(case=case, type="internal_note")
    assert not note.public and "Highways system" in note.message and "HW-991" in note.message
    # One attempt, logged.
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == "delivered" and attempt.status_code == 200


def test_the_signature_scheme_is_the_documented_one():
    body = b'{"id":"1"}'
    signature = webhook_signature("whsec_test", 1700000000, body)
    assert signature == hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    header = f"t=1700000000,v1={signature}"
    assert signature_valid("whsec_test", header, body, now=1700000100)
    assert not signature_valid("whsec_test", header, body + b" ", now=1700000100)
    assert not signature_valid("whsec_other", header, body, now=1700000100)
    # Outside the receiver's 5-minute tolerance: refused (a replayed request).
    assert not signature_valid("whsec_test", header, body, now=1700000000 + 301)


def test_a_wrong_secret_is_refused_by_the_receiver_and_the_delivery_fails_at_once(webhook_receiver):
    form = pothole_form(with_file=False)
    destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = "not-the-destinations-secret"
    submission = submit(draft_answered(form))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "HTTP 401" in delivery.last_error
    assert submission.case.status == "submitted"  # the resident's request is untouched


def test_an_inactive_destination_gets_nothing_and_each_active_one_gets_one_delivery(webhook_receiver):
    form = pothole_form(with_file=False)
    first = destination_make(form, url=webhook_receiver.url, name="One")
    destination_make(form, url=webhook_receiver.url, name="Two", secret=first.secret)
    destination_make(form, url=webhook_receiver.url, name="Off", active=False)
    webhook_receiver.secret = first.secret
    submission = submit(draft_answered(form))
    assert sorted(
        Delivery.objects.filter(submission=submission).values_list("destination__name", flat=True)
    ) == [
        "One",
        "Two",
    ]
    assert len(webhook_receiver.valid) == 2


def test_the_payload_is_what_the_receiver_got(webhook_receiver):
    form = pothole_form(with_file=False)
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    submission = submit(draft_answered(form))
    delivery = fresh(Delivery.objects.get(submission=submission))
    sent = webhook_receiver.received[0].json
    again = webhook_payload(delivery)
    assert sent["answers"] == again["answers"] and sent["id"] == again["id"]


class _SignedLongAgo(signing.TimestampSigner):
    """Signs as the portal did 8 days ago (a link past its 7 days)."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 8 * 86400)


def test_file_links_expire_after_7_days_and_forged_ones_are_refused(webhook_receiver):
    form = pothole_form()
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    submission = submit(draft_answered(form, photo=PHOTO))
    upload = submission.uploads.get()
    good = reverse("integrations_file", kwargs={"token": file_token(upload)})
    assert Client().get(good).status_code == 200
    old = _SignedLongAgo(salt=SALT).sign(str(upload.pk))
    assert Client().get(reverse("integrations_file", kwargs={"token": old})).status_code == 404
    other_salt = signing.TimestampSigner(salt="something.else").sign(str(upload.pk))
    assert Client().get(reverse("integrations_file", kwargs={"token": other_salt})).status_code == 404
    assert Client().get(reverse("integrations_file", kwargs={"token": "nonsense"})).status_code == 404


# Replacing the signing secret (review finding 10)


def test_a_replaced_secret_signs_alongside_the_new_one_for_24_hours(webhook_receiver):
    form = pothole_form(with_file=False)
    destination = destination_make(form, url=webhook_receiver.url)
    old = destination.secret
    destination_secret_replace(destination=destination)
    destination.refresh_from_db()
    assert destination.secret != old and destination.secret.startswith("whsec_")
    assert destination.previous_secret == old
    # A receiver still on the old secret takes it, and so does one given the new one.
    webhook_receiver.secret = old
    submit(draft_answered(form))
    (received,) = webhook_receiver.valid
    header = received.headers["Portal-Signature"]
    assert header.count("v1=") == 2
    assert signature_valid(destination.secret, header, received.body)
    # After 24 hours only the new secret signs.
    Destination.objects.filter(pk=destination.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    webhook_receiver.secret = destination.secret
    submit(draft_answered(form))
    last = webhook_receiver.received[-1]
    assert last.signature_ok and last.headers["Portal-Signature"].count("v1=") == 1
    assert not signature_valid(old, last.headers["Portal-Signature"], last.body)


# Addresses inside the portal's own network are refused (review finding 5)


@pytest.mark.parametrize(
    "url",
    [
        None,  # the receiver itself, on 127.0.0.1
        "https://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://localhost/hook",
    ],
)
def test_a_private_address_is_refused_before_connecting(webhook_receiver, settings, url):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    form = pothole_form(with_file=False)
    destination_make(form, url=url or webhook_receiver.url)
    started = time.monotonic()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert time.monotonic() - started < 5  # no connection tried (10.0.0.1 would time out)
    assert delivery.status == "failed"
    assert "private, local or reserved address" in delivery.last_error
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == "permanent_failure" and attempt.status_code is None
    assert webhook_receiver.received == []


def test_a_huge_answer_is_not_read_whole(hook_and_receiver):
    form, destination, receiver = hook_and_receiver
    size = 256 * 1024 * 1024
    receiver.big_answer_next(size)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert fresh(delivery).status == "delivered"
    # The portal stopped reading at 64 KB: the receiver could not write it all.
    assert receiver.sent_bytes < size


def test_an_answer_dripped_slowly_ends_at_the_total_deadline(hook_and_receiver, settings):
    form, destination, receiver = hook_and_receiver
    settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS = 0.5  # each wait; the whole call: 1.5 seconds
    receiver.trickle_next(200, every=0.05)  # a byte every 0.05 s: 10 seconds in all
    started = time.monotonic()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert time.monotonic() - started < 6
    assert delivery.status == "retrying"
    assert "longer than 1.5 seconds in all" in delivery.last_error


@pytest.fixture
def hook_and_receiver(webhook_receiver):
    form = pothole_form(with_file=False)
    destination = destination_make(form, url=webhook_receiver.url)
    webhook_receiver.secret = destination.secret
    return form, destination, webhook_receiver
