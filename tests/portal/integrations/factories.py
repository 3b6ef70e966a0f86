"""Small builders for the integrations' tests: API clients with their key, destinations, and
submissions with a delivery, made through the services where there is one."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from forms_engine.models import ServiceForm, Submission
from forms_engine.services import draft_create, form_version_current, submission_create
from portal.integrations.constants import ApiScope, DeliveryStatus, DestinationKind
from portal.integrations.models import ApiClient, Delivery, Destination
from portal.integrations.services.api_keys import api_client_create

# What each kind needs, so a test names only what it is about.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    DestinationKind.EMAIL: {"email_to": "highways-team@council.example"},
    DestinationKind.WEBHOOK: {"url": "http://127.0.0.1:9/hook"},
    DestinationKind.OPEN311: {
        "url": "http://127.0.0.1:9/open311/v2",
        "open311_api_key": "their-key",
        "open311_service_code": "001",
    },
}


def destination_create(form: ServiceForm, kind: str = DestinationKind.WEBHOOK, **kw: Any) -> Destination:
    """A destination for ``form`` of ``kind``, with that kind's fields filled in unless given."""
    values = {"name": f"{DestinationKind(kind).name.title()} for {form.title}", **KIND_DEFAULTS[kind], **kw}
    return Destination.objects.create(form=form, kind=kind, **values)


def api_client_with_key(
    name: str = "FixMyStreet", scopes: list[str] | tuple[str, ...] | None = None, **kw: Any
) -> tuple[ApiClient, str]:
    """An API client made as staff make one: (the client, its key, which is shown only once)."""
    new = api_client_create(
        name=name,
        scopes=list(scopes if scopes is not None else [ApiScope.OPEN311_REPORT]),
        created_by=kw.pop("created_by", None),
        **kw,
    )
    return new.client, new.key


def submission_make(form: ServiceForm, answers: dict[str, Any], *, user=None) -> Submission:
    """A resident's submission of ``answers`` to ``form``'s live version, through the forms engine
    (so its case is made and every active destination of the form gets a delivery)."""
    version = form_version_current(form=form)
    assert version is not None, f"{form} is not live"
    draft = draft_create(version=version, user=user)
    draft.answers = answers
    draft.save()
    return submission_create(draft=draft)


def submission_at(submission: Submission, when) -> Submission:
    """Move a submission's time (``auto_now_add`` sets it to now), for period tests."""
    Submission.objects.filter(pk=submission.pk).update(submitted_at=when)
    submission.refresh_from_db()
    return submission


def deliveries_of(submission: Submission) -> QuerySet[Delivery]:
    return Delivery.objects.filter(submission=submission).select_related("destination")


def delivery_make(destination: Destination, submission: Submission, **fields: Any) -> Delivery:
    """The delivery of ``submission`` to ``destination`` (made by the listener if the destination
    was active when it was submitted), with ``fields`` set as a test's starting point."""
    delivery, _ = Delivery.objects.get_or_create(
        destination=destination, submission=submission, defaults={"case": submission.case}
    )
    if fields:
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        delivery.refresh_from_db()
    return delivery


def delivery_bare(destination: Destination, *, case=None, **fields: Any) -> Delivery:
    """A delivery of a stand-in submission (no answers) for ``case``: for screens that list
    deliveries, without going through the forms engine."""
    submission = Submission.objects.create(
        version=form_version_current(form=destination.form),
        case=case,
        answers={},
        idempotency_key=uuid.uuid4(),
    )
    fields.setdefault("status", DeliveryStatus.PENDING)
    fields.setdefault("next_attempt_at", timezone.now())
    return Delivery.objects.create(destination=destination, submission=submission, case=case, **fields)


def refused(response) -> bool:
    """Wagtail's refusal of a page the person's role has no access to: back to the admin's
    home page (with "Sorry, you do not have permission"), or 403 outside Wagtail's handling."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )
