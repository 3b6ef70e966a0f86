"""Email to a team through a real SMTP server (a local sink): the answers as a PDF, the files
attached, or as signed links over the destination's size limit."""

import pytest

from django.test import Client

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

TEAM = ["potholes@council.example", "highways-duty@council.example"]
PHOTO = b"\xff\xd8\xff\xe0" + b"pothole photo bytes " * 100


def _team_mail(sink):
    return [m for m in sink.messages if set(m.envelope_to) == set(TEAM)]


def _email_destination(form, **fields):
    return destination_make(form, DestinationKind.EMAIL, email_to=", ".join(TEAM), **fields)


def test_the_team_gets_the_answers_as_a_pdf_and_the_photo_attached(smtp_sink):
    form = pothole_form()
    _email_destination(form)
    submission = submit(draft_answered(form, photo=PHOTO))
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == "delivered", delivery.last_error
    (mail,) = _team_mail(smtp_sink)
    reference = submission.case.reference
    assert mail.message["Subject"] == f"Report a pothole: {reference}"
    assert reference in mail.text and "/cases/" in mail.text
    attachments = {name: (kind, data) for name, kind, data in mail.attachments}
    kind, pdf = attachments[f"{reference}.pdf"]
    assert kind == "application/pdf" and pdf.startswith(b"%PDF")
    for text in (b"Report a pothole", reference.encode(), b"How big is it?", b"Bigger than a dinner plate"):
        assert text in pdf
    # Characters the PDF's fonts lack are written plainly, not lost.
    assert b"A deep pothole - about 20cm across - cars swerve round it" in pdf
    assert attachments["pothole.jpg"] == ("image/jpeg", PHOTO)
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == "delivered" and "potholes@council.example" in attempt.detail


def test_files_over_the_limit_go_as_links_that_download(smtp_sink):
    form = pothole_form()
    _email_destination(form, attach_limit_mb=0)
    submission = submit(draft_answered(form, photo=PHOTO))
    assert Delivery.objects.get(submission=submission).status == "delivered"
    (mail,) = _team_mail(smtp_sink)
    assert [name for name, _, _ in mail.attachments] == [f"{submission.case.reference}.pdf"]
    assert "too large to attach" in mail.text
    link = next(line for line in mail.text.splitlines() if "pothole.jpg" in line).rsplit(" ", 1)[1]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = Client().get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PHOTO
    # A link altered by one character is refused.
    assert Client().get(path[:-2] + ("A" if path[-2] != "A" else "B") + "/").status_code == 404


def test_a_mail_server_saying_try_later_is_retried_and_refusal_fails(smtp_sink):
    form = pothole_form(with_file=False)
    _email_destination(form)
    smtp_sink.fail_next(451)
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "retrying" and "SMTP 451" in delivery.last_error
    run_due(after_seconds=61)
    assert fresh(delivery).status == "delivered"
    assert len(_team_mail(smtp_sink)) == 1

    smtp_sink.fail_next(550)
    refused = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert refused.status == "failed" and "SMTP 550" in refused.last_error


def test_a_mail_server_down_is_retried(smtp_sink):
    form = pothole_form(with_file=False)
    _email_destination(form)
    smtp_sink.stop()
    delivery = Delivery.objects.get(submission=submit(draft_answered(form)))
    assert delivery.status == "retrying" and "could not be reached" in delivery.last_error
    smtp_sink.start()
    run_due(after_seconds=61)
    assert fresh(delivery).status == "delivered"
