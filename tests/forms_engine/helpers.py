"""Driving a form through the test client, one page at a time."""

import re
from datetime import date, timedelta

from django.urls import reverse

from forms_engine.models import Draft


def form_start(client, slug: str) -> Draft:
    """Press Start on the form's start page; returns the new draft (the client is on step 1)."""
    response = client.post(reverse("forms_engine:start", kwargs={"slug": slug}), {"action": "start"})
    assert response.status_code == 302, response.content
    match = re.search(r"/forms/[^/]+/([0-9a-f-]{36})/step/1/$", response["Location"])
    assert match, response["Location"]
    return Draft.objects.get(pk=match.group(1))


def step_url(draft: Draft, number: int, *, change: bool = False) -> str:
    url = reverse(
        "forms_engine:step", kwargs={"slug": draft.version.form.slug, "draft": draft.pk, "number": number}
    )
    return url + ("?change=1" if change else "")


def check_url(draft: Draft) -> str:
    return reverse("forms_engine:check", kwargs={"slug": draft.version.form.slug, "draft": draft.pk})


def done_url(submission) -> str:
    return reverse(
        "forms_engine:done", kwargs={"slug": submission.version.form.slug, "key": submission.idempotency_key}
    )


def date_parts(name: str, day: date) -> dict:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def address(name: str, postcode: str = "SW1A 1AA") -> dict:
    return {f"{name}-line_1": "1 High Street", f"{name}-town": "Anytown", f"{name}-postcode": postcode}


def missed_bin_answers() -> list[dict]:
    """The posts that complete the missed-bin form (builders.missed_bin_form), general waste."""
    return [
        {"bin_type": "General waste"},
        address("address"),
        date_parts("collection_date", date.today() - timedelta(days=1)),
    ]


def bulky_answers(items: int = 3) -> list[dict]:
    return [
        {"item_count": str(items)},
        {"items": "A sofa, a fridge and a wardrobe"},
        {**date_parts("collection_date", date.today() + timedelta(days=7)), **address("address")},
    ]
