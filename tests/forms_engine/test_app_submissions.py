"""Submissions another app makes (``submission_create_for_app``): the web's checks, every
failing question named at once, and the web's submission path on the API channel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from forms_engine.constants import SubmissionChannel
from forms_engine.engine import CONTACT_FIELD
from forms_engine.models import Draft, Submission
from forms_engine.selectors import submission_answer_rows
from forms_engine.services import SubmissionInvalid, submission_create_for_app
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import Interaction
from tests.forms_engine.factories import form_build, missed_bin_form, question, step

pytestmark = pytest.mark.django_db


def _answers(**changes):
    answers = {
        "bin_type": "General waste",
        "address": {"line_1": "1 High Street", "town": "Anytown", "postcode": "sw1a1aa"},
        "collection_date": (date.today() - timedelta(days=1)).isoformat(),
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_valid_answers_make_an_api_submission():
    form = missed_bin_form()
    submission = submission_create_for_app(
        form=form, answers=_answers(), api_client="FixMyStreet", email="app.user@example.org"
    )
    assert submission.channel == SubmissionChannel.API
    assert submission.contact_email == "app.user@example.org"
    assert submission.answers["address"]["postcode"] == "SW1A 1AA"
    assert submission.answers[CONTACT_FIELD] == "app.user@example.org"
    assert submission.case is not None and submission.case.channel == Channel.API
    assert Draft.objects.get().is_submitted
    submit = Interaction.objects.get(type=InteractionType.FORM_SUBMIT)
    assert (submit.channel, submit.extras["client"]) == (Channel.API, "FixMyStreet")


def test_every_failing_question_is_named_and_nothing_is_made():
    form = missed_bin_form()
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create_for_app(
            form=form,
            answers=_answers(
                bin_type="Garden waste",
                address={"line_1": "1 High Street", "town": "Anytown", "postcode": "nonsense"},
                collection_date=(date.today() + timedelta(days=3)).isoformat(),
            ),
            api_client="App",
        )
    errors = refused.value.errors
    # The garden waste step is now shown: its required permit number is missing too.
    assert set(errors) == {"permit_number", "address", "collection_date", CONTACT_FIELD}
    assert refused.value.fields["address"] == "address-postcode"
    assert errors["collection_date"].endswith("must be today or in the past")
    assert not Submission.objects.exists() and not Draft.objects.exists()


def test_a_file_given_as_a_link_is_kept_as_the_link():
    form = form_build(
        slug="photo",
        sign_in="none",
        steps=[step("Photo", question("file", "photo", "Photo of the problem"))],
    )
    with pytest.raises(SubmissionInvalid) as refused:
        submission_create_for_app(
            form=form, answers={"photo": "not a link"}, api_client="App", email="a@b.org"
        )
    assert "link" in refused.value.errors["photo"]
    submission = submission_create_for_app(
        form=form, answers={"photo": "https://example.org/p.jpg"}, api_client="App", email="a@b.org"
    )
    assert submission.answers["photo"] == {"media_url": "https://example.org/p.jpg"}
    assert [row["value"] for row in submission_answer_rows(submission)] == [
        "https://example.org/p.jpg",
        "a@b.org",
    ]
