"""What the forms engine records for the measures: each draft counted once per step and loop,
and every form event dated by its draft's start day (docs/measures.md, "Channel shift")."""

import pytest

from django.utils import timezone

from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import address, form_start, missed_bin_answers, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(client):
    missed_bin_form(sign_in="optional")
    client.force_login(UserFactory())
    return form_start(client, "missed-bin")


def test_the_third_wrong_answer_to_one_question_is_the_drafts_one_validation_loop(client, draft):
    url = step_url(draft, 3)  # the address step (step 2 is skipped for general waste)
    assert client.post(step_url(draft, 1), {"bin_type": "General waste"}).status_code == 302
    for _ in range(4):
        assert client.post(url, address("address", postcode="NOT A POSTCODE")).status_code == 200
    errors = list(Interaction.objects.filter(type="form_error").order_by("occurred_at", "pk"))
    assert [e.extras["loop"] for e in errors] == [False, False, True, False]
    started = timezone.localdate(draft.created_at).isoformat()
    assert {e.extras["started"] for e in errors} == {started}


def test_a_step_completed_again_after_going_back_is_not_a_first_completion(client, draft):
    first, second, third = missed_bin_answers()
    assert client.post(step_url(draft, 1), first).status_code == 302
    assert client.post(step_url(draft, 1), {"bin_type": "Recycling"}).status_code == 302  # went back
    assert client.post(step_url(draft, 3), second).status_code == 302
    steps = list(Interaction.objects.filter(type="form_step").order_by("occurred_at", "pk"))
    assert [(s.extras["order"], s.extras["first"]) for s in steps] == [(1, True), (1, False), (3, True)]
    start = Interaction.objects.get(type="form_start")
    assert start.extras["started"] == timezone.localdate(draft.created_at).isoformat()
