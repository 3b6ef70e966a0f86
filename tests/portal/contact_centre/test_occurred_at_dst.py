"""'When' on the Record a contact form across the clock changes (Europe/London).

On 25 October 2026 the clocks went back at 02:00 BST (01:00 UTC) to 01:00 GMT, so
01:00-01:59 happened twice: 01:30 was 00:30 UTC (BST, UTC+1), then 01:30 UTC (GMT).
On 29 March 2026 they went forward at 01:00 GMT (01:00 UTC) to 02:00 BST, so
01:00-01:59 never happened. Both dates are in the past and within the log's retention.
"""

from datetime import UTC, datetime

import pytest

from django.urls import reverse

from portal.contact_centre.forms import AssistedContactForm
from portal.interactions.models import AssistedContact

from .test_assisted_contacts import ADD_URL, answers, record, staff_in

pytestmark = pytest.mark.django_db

QUESTION = "This time happened twice because the clocks went back. Which one?"
FIRST = "The first 1:30am (BST, before the clocks went back)"
SECOND = "The second 1:30am (GMT, after the clocks went back)"
SKIPPED = (
    "1:30am on 29 March 2026 did not happen in the UK because the clocks went forward. "
    "Enter a time before 1:00am or from 2:00am"
)


@pytest.fixture
def officer():
    return staff_in("Case officers")


def form_for(officer, **overrides) -> AssistedContactForm:
    return AssistedContactForm(data=answers(**overrides), for_user=officer)


@pytest.mark.parametrize(
    ("fold", "expected_utc"),
    [
        ("0", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # 01:30 BST = UTC+1
        ("1", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # 01:30 GMT = UTC
    ],
    ids=["first 01:30, BST", "second 01:30, GMT"],
)
def test_a_time_in_the_hour_the_clocks_went_back_is_the_one_chosen(officer, fold, expected_utc):
    form = form_for(officer, occurred_at="2026-10-25T01:30", occurred_at_fold=fold)
    assert form.is_valid(), form.errors
    occurred_at = form.cleaned_data["occurred_at"]
    assert occurred_at == expected_utc
    assert occurred_at.utcoffset().total_seconds() == 0  # held in UTC: the fold cannot be lost


def test_a_time_in_the_hour_the_clocks_went_back_asks_which_one(officer):
    form = form_for(officer, occurred_at="2026-10-25T01:30")
    assert not form.is_valid()
    field = form.fields["occurred_at_fold"]
    assert field.label == QUESTION
    assert [label for _, label in field.choices] == [FIRST, SECOND]
    assert form.errors == {"occurred_at_fold": ["Choose whether it was the first or the second 1:30am"]}
    assert "occurred_at" not in form.cleaned_data  # no half-made time to save by mistake


def test_an_odd_answer_to_which_one_is_refused(officer):
    form = form_for(officer, occurred_at="2026-10-25T01:30", occurred_at_fold="2")
    assert not form.is_valid()
    assert form.errors == {"occurred_at_fold": ["Choose whether it was the first or the second 1:30am"]}


@pytest.mark.parametrize(
    ("typed", "expected_utc"),
    [
        ("2026-10-25T00:59", datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),  # still BST
        ("2026-10-25T02:00", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),  # GMT from here
        ("2026-03-29T00:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),  # still GMT
        ("2026-03-29T02:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # BST from here
        ("2026-07-01T09:30", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),  # summer
    ],
)
def test_times_either_side_of_the_changes_need_no_question(officer, typed, expected_utc):
    form = form_for(officer, occurred_at=typed)
    assert "occurred_at_fold" not in form.fields
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_at"] == expected_utc


@pytest.mark.parametrize("fold", ["", "0", "1"])
def test_a_time_in_the_hour_the_clocks_went_forward_is_refused(officer, fold):
    form = form_for(officer, occurred_at="2026-03-29T01:30", occurred_at_fold=fold)
    assert "occurred_at_fold" not in form.fields
    assert not form.is_valid()
    assert form.errors == {"occurred_at": [SKIPPED]}


def test_the_other_checks_still_apply_to_a_repeated_time(officer, settings):
    settings.INTERACTIONS_RETENTION_DAYS = 30  # 25 October 2026 is over 30 days before 7 December
    form = form_for(officer, occurred_at="2026-10-25T01:30", occurred_at_fold="1")
    assert not form.is_valid()
    assert form.errors == {"occurred_at": ["The contact must be in the last 30 days"]}


def test_the_form_asks_which_one_keeps_the_answers_and_saves_the_chosen_time(client, officer):
    client.force_login(officer)
    typed = answers(occurred_at="2026-10-25T01:30", notes="Rang about the bins")

    asked = client.post(ADD_URL, typed)

    assert asked.status_code == 200
    assert not AssistedContact.objects.exists()
    text = asked.text
    assert QUESTION in text
    assert FIRST in text and SECOND in text
    assert '<a href="#id_occurred_at_fold_0">Choose whether it was the first or the second 1:30am</a>' in text
    assert 'value="2026-10-25T01:30"' in text  # what they typed is kept
    assert "Rang about the bins</textarea>" in text
    assert 'name="occurred_at_fold" value="1"' in text

    saved = client.post(ADD_URL, {**typed, "occurred_at_fold": "1"})

    assert saved.status_code == 302
    contact = AssistedContact.objects.get()
    assert contact.occurred_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert contact.extras == {"notes": "Rang about the bins"}


def test_the_form_refuses_a_time_that_did_not_happen(client, officer):
    client.force_login(officer)
    response = client.post(ADD_URL, answers(occurred_at="2026-03-29T01:30"))
    assert response.status_code == 200
    assert SKIPPED in response.text
    assert QUESTION not in response.text
    assert 'value="2026-03-29T01:30"' in response.text
    assert not AssistedContact.objects.exists()


def test_correcting_a_contact_from_the_second_0130_keeps_it_there(client, officer):
    contact = record(staff=officer, occurred_at=datetime(2026, 10, 25, 1, 30, 27, tzinfo=UTC))
    url = reverse("assisted_contacts:edit", args=[contact.pk])
    client.force_login(officer)

    form = client.get(url).context["form"]
    shown = form["occurred_at"].value()
    assert (shown, shown.fold) == (datetime(2026, 10, 25, 1, 30, 27), 1)
    assert form["occurred_at_fold"].value() == "1"  # the question starts on the one recorded

    unchanged = answers(avoidable="no", avoidable_category="", resolved_first_contact="yes")
    response = client.post(url, {**unchanged, "occurred_at": "2026-10-25T01:30", "occurred_at_fold": "1"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.occurred_at == datetime(2026, 10, 25, 1, 30, 27, tzinfo=UTC)  # seconds kept

    response = client.post(url, {**unchanged, "occurred_at": "2026-10-25T01:30", "occurred_at_fold": "0"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.occurred_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
