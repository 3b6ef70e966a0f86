"""Query counts per page stay the same however many questions and steps a form has."""

from datetime import date, timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import check_url, form_start, step_url

pytestmark = pytest.mark.django_db

KINDS = ["text", "number", "date", "radios", "address", "email"]


def _form(slug: str, questions_per_step: int, steps: int):
    return form_build(
        slug=slug,
        steps=[
            step(
                f"Step {s}",
                *[
                    question(KINDS[i % len(KINDS)], f"q{s}_{i}", required=False)
                    for i in range(questions_per_step)
                ],
            )
            for s in range(steps)
        ],
    )


def _answers(slug_questions: int, number: int) -> dict:
    data = {}
    later = date.today() + timedelta(days=3)
    for i in range(slug_questions):
        name = f"q{number - 1}_{i}"
        kind = KINDS[i % len(KINDS)]
        if kind == "text":
            data[name] = "Some words"
        elif kind == "number":
            data[name] = "4"
        elif kind == "date":
            data.update({f"{name}-day": later.day, f"{name}-month": later.month, f"{name}-year": later.year})
        elif kind == "radios":
            data[name] = "Yes"
        elif kind == "address":
            data.update(
                {f"{name}-line_1": "1 High St", f"{name}-town": "Anytown", f"{name}-postcode": "SW1A 1AA"}
            )
        else:
            data[name] = "jo@example.org"
    return data


def _counts(client, slug: str, questions: int) -> dict[str, int]:
    client.get(f"/forms/{slug}/")  # the site's settings and alerts, cached for every page after
    draft = form_start(client, slug)
    counts = {}
    for number in (1, 2):
        with CaptureQueriesContext(connection) as get:
            assert client.get(step_url(draft, number)).status_code == 200
        with CaptureQueriesContext(connection) as post:
            assert client.post(step_url(draft, number), _answers(questions, number)).status_code == 302
        with CaptureQueriesContext(connection) as error:
            assert (
                client.post(step_url(draft, number), {f"q{number - 1}_1": "not a number"}).status_code == 200
            )
        counts[f"get {number}"] = len(get)
        counts[f"post {number}"] = len(post)
        counts[f"error {number}"] = len(error)
    with CaptureQueriesContext(connection) as check:
        assert client.get(check_url(draft)).status_code == 200
    counts["check"] = len(check)
    return counts


def test_query_counts_per_step_do_not_grow_with_the_form(client):
    client.force_login(UserFactory())
    _form("small", questions_per_step=3, steps=3)
    _form("large", questions_per_step=30, steps=30)
    small = _counts(client, "small", 3)
    large = _counts(client, "large", 30)
    assert small == large, (small, large)
    # Most of a GET is the site chrome (settings, alerts). The first question also shows the
    # privacy notice and the way back to the service page (no second "before you start").
    assert max(small.values()) <= 28, small
