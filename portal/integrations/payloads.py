"""A submission as the outside world reads it: answers keyed by question name, the files as
signed links, and the JSON document a webhook carries (documented in docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from forms_engine.models import Submission, Upload
from forms_engine.services import submission_payment

from .files import file_url
from .models import Delivery

EVENT_SUBMISSION_CREATED = "submission.created"
# Answers the engine adds itself, not from the form's questions (an anonymous resident's email).
_ENGINE_LABELS = {"_contact_email": "Email address"}


def _questions(submission: Submission) -> list[dict[str, Any]]:
    schema = submission.version.schema or {}
    return [q for step in schema.get("steps") or [] for q in step.get("questions") or []]


def submission_uploads(submission: Submission) -> list[Upload]:
    return list(Upload.objects.filter(submission=submission).order_by("created_at", "pk"))


def submission_answers_keyed(submission: Submission) -> dict[str, Any]:
    """The answers as given, keyed by question name, in the form's order (as JSON values: text,
    numbers as text, lists for checkboxes, objects for addresses and locations). A file
    question's answer is its file's name; the files themselves are listed apart."""
    answers = submission.answers or {}
    names = {u.field_name: u.original_name for u in submission_uploads(submission)}
    keyed: dict[str, Any] = {}
    for q in _questions(submission):
        name = q["name"]
        if name in answers:
            keyed[name] = names.get(name, answers[name]) if q.get("type") == "file" else answers[name]
    for name, value in answers.items():
        keyed.setdefault(name, value)
    return keyed


def submission_labels(submission: Submission) -> dict[str, str]:
    """Each answered question's label, by name (the words the resident read)."""
    answers = submission.answers or {}
    labels = {q["name"]: q.get("label") or q["name"] for q in _questions(submission) if q["name"] in answers}
    for name in answers:
        labels.setdefault(name, _ENGINE_LABELS.get(name, name))
    return labels


def submission_questions(submission: Submission) -> dict[str, dict[str, Any]]:
    """The questions of the submission's own form version, by name."""
    return {q["name"]: q for q in _questions(submission)}


def case_staff_url(case_id: int) -> str:
    return settings.SITE_URL + reverse("cases_admin:case", args=[case_id])


def file_entries(submission: Submission) -> list[dict[str, Any]]:
    return [
        {
            "question": upload.field_name,
            "name": upload.original_name,
            "content_type": upload.content_type,
            "size": upload.size,
            "sha256": upload.sha256,
            "url": file_url(upload),
        }
        for upload in submission_uploads(submission)
    ]


def payment_entry(submission: Submission) -> dict[str, Any] | None:
    payment = submission_payment(submission)
    if payment is None:
        return None
    return {
        "reference": payment.reference,
        "amount_pence": payment.amount_pence,
        "currency": payment.currency,
        "description": payment.description,
        "status": payment.status,
        "paid_at": payment.finished_at.isoformat() if payment.finished_at and payment.is_success else None,
    }


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON document a webhook destination receives for ``delivery`` (docs/webhooks.md)."""
    submission = delivery.submission
    schema = submission.version.schema or {}
    case = submission.case
    return {
        "id": str(delivery.pk),
        "event": EVENT_SUBMISSION_CREATED,
        "created": delivery.created_at.isoformat(),
        "form": {
            "slug": schema.get("slug", ""),
            "title": schema.get("title", ""),
            "version": submission.version.number,
        },
        "case": {
            "reference": case.reference,
            "status": case.status,
            "url": case_staff_url(case.pk),
        }
        if case is not None
        else None,
        "submitted_at": submission.submitted_at.isoformat(),
        "channel": submission.channel,
        "answers": submission_answers_keyed(submission),
        "labels": submission_labels(submission),
        "files": file_entries(submission),
        "payment": payment_entry(submission),
    }
