"""Builders for the delivery tests: a form with every kind of answer a back office reads, a
submission made through the forms engine (its on-commit work run, as a real request's is), and
destinations."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.test import TestCase
from django.utils import timezone

from forms_engine.models import Draft, Submission, Upload
from forms_engine.services import draft_create, form_version_current, submission_create
from portal.integrations.constants import DestinationKind
from portal.integrations.models import Delivery, Destination
from portal.integrations.services.deliveries import deliveries_due_run
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.portal.cases.factories import team_make

ANSWERS = {
    "where": {
        "description": "Outside 12 High Street, by the bus stop",
        "latitude": "51.501",
        "longitude": "-0.1419",
    },
    "size": "Bigger than a dinner plate",
    "details": "A deep pothole – about 20cm across – cars swerve round it",
    "phone": "07700 900123",
}


def pothole_form(*, slug: str = "report-pothole", with_file: bool = True, **fields):
    """'Report a pothole': a location, a choice, a long text, a phone number and (optionally) a photo."""
    fields.setdefault("team", team_make("Highways", "highways@council.example"))
    questions = [
        step("Where is it?", question("location", "where", "Where is the pothole?")),
        step(
            "About the pothole",
            question(
                "radios",
                "size",
                "How big is it?",
                choices=["Smaller than a dinner plate", "Bigger than a dinner plate"],
            ),
            question("long_text", "details", "Tell us more", max_length=1000),
            question("phone", "phone", "Phone number", required=False),
        ),
    ]
    if with_file:
        questions.append(step("Photo", question("file", "photo", "A photo of the pothole", required=False)))
    return form_build(slug=slug, title="Report a pothole", steps=questions, reference_prefix="POT", **fields)


def upload_add(
    draft: Draft, field_name: str, content: bytes, name: str = "pothole.jpg", content_type: str = "image/jpeg"
) -> Upload:
    upload = Upload(
        draft=draft,
        user=draft.user,
        field_name=field_name,
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    upload.file.save(f"{hashlib.md5(content).hexdigest()}.jpg", ContentFile(content), save=False)
    upload.save()
    answers = dict(draft.answers)
    answers[field_name] = str(upload.pk)
    draft.answers = answers
    draft.save(update_fields=["answers"])
    return upload


def draft_answered(form, *, user=None, answers=None, photo: bytes | None = None) -> Draft:
    version = form_version_current(form=form)
    draft = draft_create(version=version, user=user if user is not None else UserFactory())
    draft.answers = dict(ANSWERS if answers is None else answers)
    draft.save()
    if photo is not None:
        upload_add(draft, "photo", photo)
    return draft


def submit(draft: Draft) -> Submission:
    """Send ``draft`` as the web view would, running what waits for the commit (the deliveries)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return submission_create(draft=draft)


def destination_make(form, kind: str = DestinationKind.WEBHOOK, **fields) -> Destination:
    fields.setdefault(
        "name", {"webhook": "Highways system", "email": "Highways inbox", "open311": "Confirm"}[kind]
    )
    return Destination.objects.create(form=form, kind=kind, **fields)


def run_due(*, after_seconds: float = 0) -> int:
    """The housekeeping ``after_seconds`` from now, with what it queues run at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliveries_due_run(now=timezone.now() + timedelta(seconds=after_seconds))


def fresh(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery
