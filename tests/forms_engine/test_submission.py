"""Sending a form: one Submission, Case and Payment, whatever the clicks, races and edits."""

import threading

import pytest

from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from forms_engine.models import Draft, Submission
from forms_engine.selectors import submission_answer_rows
from forms_engine.services import draft_create, form_version_current, submission_create
from payments.models import Payment
from portal.cases.models import Case
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import (
    bulky_waste_form,
    form_build,
    form_republish,
    missed_bin_form,
    question,
    step,
    when,
)
from tests.forms_engine.helpers import bulky_answers, check_url, form_start, step_url
from tests.portal.cases.factories import team_make

pytestmark = pytest.mark.django_db


def _answered_draft(form, *, user=None, answers=None) -> Draft:
    version = form_version_current(form=form)
    draft = draft_create(version=version, user=user)
    draft.answers = answers or {}
    draft.save()
    return draft


def test_a_fee_creates_a_payment_and_submit_goes_straight_to_paying(web):
    user = UserFactory()
    team = team_make()
    bulky_waste_form(team=team, sla_working_days=10)
    web.force_login(user)
    draft = form_start(web, "bulky-waste")
    for number, data in enumerate(bulky_answers(items=3), start=1):
        assert web.post(step_url(draft, number), data).status_code == 302
    page = web.get(check_url(draft)).content.decode()
    assert "£45" in page and "Submit and pay" in page
    mail.outbox.clear()
    response = web.post(check_url(draft))
    submission = Submission.objects.get()
    payment = Payment.objects.get()
    assert response["Location"] == reverse("payments:pay", kwargs={"reference": payment.reference})
    assert submission.fee_pence == 4500 and payment.amount_pence == 4500
    assert payment.case == submission.case and payment.user == user and payment.status == "created"
    assert "3 × £15" in payment.description
    case = submission.case
    assert case.status == "awaiting_payment" and case.team == team and case.sla_working_days == 10
    # The confirmation (with the reference) is written at once but held for the payment, so a
    # resident who pays gets one email with the receipt in it (tests/portal/notifications).
    assert not mail.outbox
    (held,) = Notification.objects.filter(case=case, template="forms_engine/submitted")
    assert case.reference in held.body_text and "£45" in held.body_text and held.status == "created"
    # The payment page shows the reference (PAY's page).
    pay = web.get(response["Location"])
    assert pay.status_code == 200 and case.reference in pay.content.decode()
    # Going back and pressing submit again goes to the same payment.
    assert web.post(check_url(draft))["Location"] == response["Location"]
    assert Payment.objects.count() == 1 and Case.objects.count() == 1


def test_a_per_item_fee_of_nothing_takes_no_payment():
    form = form_build(
        slug="extra-bins",
        steps=[
            step(
                "Extra bins",
                question("number", "extra", "How many extra bins?", required=False, min_value="0"),
            ),
        ],
        fee_type="per_answer",
        fee_amount_pence=500,
        fee_field="extra",
    )
    user = UserFactory()
    submission = submission_create(draft=_answered_draft(form, user=user, answers={"extra": "0"}))
    assert submission.fee_pence == 0 and submission.payment is None
    assert submission.case.status == "submitted"
    assert not Payment.objects.exists()
    fixed = form_build(
        slug="fixed", steps=[step("One", question("text", "a"))], fee_type="fixed", fee_amount_pence=2500
    )
    submission = submission_create(draft=_answered_draft(fixed, user=user, answers={"a": "x"}))
    assert submission.fee_pence == 2500 and submission.payment.amount_pence == 2500


def test_submitting_twice_makes_one_submission_and_one_case():
    form = missed_bin_form()
    user = UserFactory()
    draft = _answered_draft(
        form,
        user=user,
        answers={
            "bin_type": "Recycling",
            "address": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"},
            "collection_date": "2020-01-01",
        },
    )
    first = submission_create(draft=draft)
    second = submission_create(draft=Draft.objects.get(pk=draft.pk))
    assert first.pk == second.pk
    assert Submission.objects.count() == 1 and Case.objects.count() == 1


def test_hidden_answers_are_never_stored():
    form = form_build(
        slug="garden",
        steps=[
            step(
                "Bin",
                question("radios", "bin", choices=["General", "Garden"]),
                question("text", "colour", required=True, condition=when("bin", "Garden")),
            ),
            step("Permit", question("text", "permit"), condition=when("bin", "Garden")),
            step("Notes", question("text", "notes", required=False)),
        ],
    )
    user = UserFactory()
    draft = _answered_draft(
        form, user=user, answers={"bin": "General", "colour": "green", "permit": "P1", "notes": "n"}
    )
    submission = submission_create(draft=draft)
    assert submission.answers == {"bin": "General", "notes": "n"}


def test_old_submissions_keep_their_own_questions_after_the_form_changes():
    form = form_build(
        slug="versions",
        steps=[step("Items", question("number", "items", "How many items?", suffix="items"))],
    )
    user = UserFactory()
    old = submission_create(draft=_answered_draft(form, user=user, answers={"items": "2"}))
    form_republish(
        form,
        steps=[
            step(
                "Items",
                question("number", "items", "Number of large items", suffix="pieces"),
                question("radios", "heavy", "Is anything very heavy?", choices=["Yes", "No"]),
            )
        ],
    )
    new_version = form_version_current(form=form)
    assert new_version.number == 2
    new = submission_create(draft=_answered_draft(form, user=user, answers={"items": "4", "heavy": "No"}))
    old.refresh_from_db()
    assert old.version.number == 1
    assert submission_answer_rows(old) == [
        {"step": "Items", "label": "How many items?", "value": "2 items", "files": []}
    ]
    assert [(r["label"], r["value"]) for r in submission_answer_rows(new)] == [
        ("Number of large items", "4 pieces"),
        ("Is anything very heavy?", "No"),
    ]


def test_a_draft_started_on_an_old_version_is_sent_against_it(web):
    form = missed_bin_form()
    draft = form_start(web, "missed-bin")
    form_republish(form, title="Report a missed collection")
    assert draft.version.number == 1
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    draft.refresh_from_db()
    assert draft.version.number == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Needs PostgreSQL (set DATABASE_URL): SQLite serialises every write, so no race can happen",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_submits_get_unique_references_and_one_case_per_draft():
    """Threads on their own database connections, as separate web workers would be.

    Meaningful on PostgreSQL (row locks on the reference sequence and the draft): SQLite
    serialises every write, so there the race cannot happen and the test is skipped.
    """
    form = missed_bin_form()
    answers = {
        "bin_type": "Recycling",
        "address": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"},
        "collection_date": "2020-01-01",
    }
    users = [UserFactory() for _ in range(8)]
    drafts = [_answered_draft(form, user=user, answers=answers) for user in users]
    doubled = drafts[0]
    work = [*drafts, doubled, doubled, doubled]
    barrier = threading.Barrier(len(work))
    results, failures = {}, []

    def send(index, draft):
        try:
            barrier.wait(timeout=10)
            results[index] = submission_create(draft=Draft.objects.get(pk=draft.pk)).pk
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(i, draft)) for i, draft in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(results) == len(work)
    assert Submission.objects.count() == len(drafts) == Case.objects.count()
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    assert len({results[i] for i, draft in enumerate(work) if draft == doubled}) == 1


def test_another_resident_cannot_see_the_confirmation(web):
    form = missed_bin_form(sign_in="optional")
    owner = UserFactory()
    submission = submission_create(
        draft=_answered_draft(
            form,
            user=owner,
            answers={
                "bin_type": "Recycling",
                "address": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"},
                "collection_date": "2020-01-01",
            },
        )
    )
    url = reverse("forms_engine:done", kwargs={"slug": "missed-bin", "key": submission.idempotency_key})
    web.force_login(owner)
    assert web.get(url).status_code == 200
    other = Client()
    other.force_login(UserFactory())
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 404
