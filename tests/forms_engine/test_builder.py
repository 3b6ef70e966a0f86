"""The form builder in plain words: labels, money in pounds, a chooser for the fee question,
and saving from the add page more than once (autosave, then Publish) without a clash."""

import re
import threading
import traceback
import uuid

import pytest

from django.db import close_old_connections, connection
from django.test import Client

from wagtail.test.utils.form_data import streamfield

from forms_engine.admin_views import SLUG_TAKEN
from forms_engine.forms import FEE_FORMAT_ERROR, PoundsField, fee_question_choices, pence_from_pounds_text
from forms_engine.models import FormVersion, ServiceForm
from tests.accounts.factories import staff_in

from .factories import form_create
from .test_admin import ADD_URL, NO_CONDITION, _list, _question, admin_data, edit_url

pytestmark = pytest.mark.django_db

PUBLISH = {"action-publish": "action-publish"}
AUTOSAVE = {"HTTP_ACCEPT": "application/json"}  # how Wagtail's autosave posts the editor form


@pytest.fixture
def editor_client(client):
    client.force_login(staff_in("Editors", full_name="Eddie Editor"))
    return client


@pytest.fixture
def moderator_client(client):
    client.force_login(staff_in("Moderators", full_name="Mo Moderator"))
    return client


def _fee_steps():
    """One step with a number question and a choice question."""
    return [
        (
            "step",
            {
                "title": "Your items",
                "intro": "",
                "questions": streamfield(
                    [
                        _question("number", "item_count", "How many items?", min_value="1", max_value="5"),
                        _question("radios", "kind", "What kind?", choices=_list(["Small", "Large"])),
                    ]
                ),
                "condition": NO_CONDITION,
            },
        ),
    ]


# Labels ---------------------------------------------------------------------------------------


def test_the_builder_uses_plain_labels_not_field_names(editor_client):
    html = editor_client.get(ADD_URL).text
    labels = [
        " ".join(re.sub(r"<[^>]+>", " ", label).replace("*", " ").split())
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]
    for label in (
        "Web address",
        "Before you start",
        "Fee (£)",
        "Fee counted from",
        "What the fee is for",
        "VAT",
        "Case reference letters",
        "Working days to respond",
    ):
        assert label in labels, (label, labels)
    assert "In pounds and pence, like 85 or 85.50" in html
    for field_name in ("Fee amount pence", "Fee vat", "Sla working days", "Fee field"):
        assert field_name not in html, field_name
    # The per-item fee question is chosen from a list, not typed.
    assert '<select name="fee_field"' in html


# Money in pounds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("85", 8500), ("85.5", 8550), ("85.50", 8550), ("£85.00", 8500), ("1,250", 125000), (" 0.99 ", 99)],
)
def test_pounds_typed_become_pence(typed, pence):
    assert pence_from_pounds_text(typed) == pence
    assert PoundsField().clean(typed) == pence


@pytest.mark.parametrize("typed", ["85p", "8500p", "85.505", "-5", "ten pounds", "85.5.0", "£", "1e3"])
def test_anything_else_is_refused_in_plain_words(typed):
    with pytest.raises(Exception) as error:
        PoundsField().clean(typed)
    assert FEE_FORMAT_ERROR in str(error.value)


def test_stored_pence_are_shown_in_pounds():
    field = PoundsField()
    assert field.prepare_value(8500) == "85.00"
    assert field.prepare_value(1250) == "12.50"
    assert field.prepare_value("85p") == "85p"  # what was typed stays as typed
    assert field.prepare_value(None) is None


def test_a_fee_in_pounds_is_saved_in_pence_and_shown_back_in_pounds(moderator_client):
    data = admin_data(fee_type="fixed", fee_amount_pence="85.50", fee_description="Permit")
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="street-light")
    assert form.fee_amount_pence == 8550
    assert FormVersion.objects.get(form=form).schema["fee"]["amount_pence"] == 8550
    html = moderator_client.get(edit_url(form)).text
    assert 'name="fee_amount_pence"' in html and 'value="85.50"' in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("85p", FEE_FORMAT_ERROR),
        ("8500.001", FEE_FORMAT_ERROR),
        ("0", "Enter a fee of more than £0"),
        ("250000", "Enter a fee of £100,000 or less"),
    ],
)
def test_a_bad_fee_is_an_error_that_keeps_what_was_typed(moderator_client, typed, message):
    data = admin_data(fee_type="fixed", fee_amount_pence=typed)
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 200
    assert message in response.text
    assert f'value="{typed}"' in response.text
    assert not ServiceForm.objects.exists()


def test_a_fee_without_an_amount_asks_for_pounds(moderator_client):
    response = moderator_client.post(ADD_URL, admin_data(fee_type="fixed", fee_amount_pence="") | PUBLISH)
    assert response.status_code == 200
    assert FEE_FORMAT_ERROR in response.text
    assert not ServiceForm.objects.exists()


# The fee question chooser ---------------------------------------------------------------------


def test_the_fee_question_is_chosen_from_the_forms_number_questions_by_label(editor_client):
    form = form_create()  # questions: bin_type (radios), subscribed (radios), items (number)
    html = editor_client.get(edit_url(form)).text
    assert '<option value="items">How many bins?</option>' in html
    assert 'value="bin_type"' not in html and 'value="subscribed"' not in html
    assert '<option value="" selected>Choose a number question</option>' in html


def test_choices_name_the_question_twice_asked_and_keep_a_stale_choice():
    form = ServiceForm(
        steps=[
            {
                "type": "step",
                "value": {
                    "title": "One",
                    "questions": [
                        {"type": "number", "value": {"name": "bags", "label": "How many?"}},
                        {"type": "number", "value": {"name": "boxes", "label": "How many?"}},
                        {"type": "text", "value": {"name": "note", "label": "Anything else?"}},
                    ],
                },
            }
        ]
    )
    assert fee_question_choices(form.steps, "note") == [
        ("", "Choose a number question"),
        ("bags", "How many? (bags)"),
        ("boxes", "How many? (boxes)"),
        ("note", "note (not a number question on this form)"),
    ]


def test_a_per_item_fee_counts_a_number_question_added_in_the_same_edit(moderator_client):
    data = admin_data(
        steps=_fee_steps(), fee_type="per_answer", fee_amount_pence="12.50", fee_field="item_count"
    )
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="street-light")
    assert (form.fee_field, form.fee_amount_pence) == ("item_count", 1250)
    html = moderator_client.get(edit_url(form)).text
    assert '<option value="item_count" selected>How many items?</option>' in html


def test_a_fee_question_that_is_not_a_number_question_is_refused(moderator_client):
    data = admin_data(steps=_fee_steps(), fee_type="per_answer", fee_amount_pence="12.50", fee_field="kind")
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 200
    assert "&#x27;kind&#x27; is not a number question on this form" in response.text
    # The list offers the number question from the steps just posted, and keeps the bad choice.
    assert '<option value="item_count">How many items?</option>' in response.text
    assert 'value="kind" selected' in response.text
    assert not ServiceForm.objects.exists()


def test_a_per_item_fee_needs_its_question_chosen(moderator_client):
    data = admin_data(steps=_fee_steps(), fee_type="per_answer", fee_amount_pence="12.50", fee_field="")
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 200
    assert "Choose the number question the fee is counted from" in response.text


# Saving from the add page more than once ------------------------------------------------------


def _add_page_key(client) -> str:
    """The key the add page sends with every save."""
    response = client.get(ADD_URL)
    field = response.context["form"]["creation_key"]
    assert 'type="hidden"' in str(field)
    return str(field.value())


def test_publishing_from_the_add_page_after_an_autosave_publishes_that_form(moderator_client):
    """The race: Wagtail autosaves the add page (making the form as a draft) and only moves
    the page to the new form's edit view when the answer arrives; a Publish sent before then
    came to the add view again, failed with "Service form with this Slug already exists" and
    left the autosaved draft behind."""
    key = _add_page_key(moderator_client)
    data = admin_data() | {"creation_key": key}

    autosave = moderator_client.post(ADD_URL, data, **AUTOSAVE)
    assert autosave.status_code == 200 and autosave.json()["success"] is True
    form = ServiceForm.objects.get()
    assert not form.live

    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    assert "already exists" not in moderator_client.get(response["Location"]).text
    form = ServiceForm.objects.get()  # one form: no stray draft
    assert form.live and not form.has_unpublished_changes
    assert FormVersion.objects.filter(form=form).count() == 1


def test_two_autosaves_from_the_add_page_make_one_form(moderator_client):
    key = _add_page_key(moderator_client)
    first = moderator_client.post(ADD_URL, admin_data() | {"creation_key": key}, **AUTOSAVE)
    second = moderator_client.post(
        ADD_URL, admin_data(title="Report a street light") | {"creation_key": key}, **AUTOSAVE
    )
    assert first.json()["success"] is True and second.json()["success"] is True, second.json()
    form = ServiceForm.objects.get()
    assert form.get_latest_revision_as_object().title == "Report a street light"
    assert form.revisions.count() == 2


def test_a_new_form_at_an_address_in_use_is_still_refused(moderator_client):
    form_create(slug="street-light", title="Someone else's form")
    data = admin_data() | {"creation_key": str(uuid.uuid4())}
    response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert response.status_code == 200
    assert "already exists" in response.text
    assert ServiceForm.objects.count() == 1


class _FormMadeMeanwhile:
    """Between the add view's check that the address is free and its insert, another request
    makes a form with the same address (as a second save from the same page, or another
    editor's, would on PostgreSQL). Real rows, real constraint: only the timing is staged."""

    def __init__(self, *, creation_key=None, before_the_check=False):
        self.creation_key = creation_key
        self.before_the_check = before_the_check
        self.made = None
        self.busy = False

    def __call__(self, execute, sql, params, many, context):
        checks_slug = sql.startswith("SELECT") and '"forms_engine_serviceform"."slug" =' in sql
        if self.before_the_check and checks_slug:
            self.make()
        result = execute(sql, params, many, context)
        if checks_slug:
            self.make()
        return result

    def make(self):
        if self.made is None and not self.busy:
            self.busy = True
            try:
                self.made = form_create(slug="street-light", title="Made meanwhile", live=False)
                self.made.creation_key = self.creation_key
                self.made.save(update_fields=["creation_key"])
                self.made.save_revision()
            finally:
                self.busy = False


def test_a_clash_found_only_by_the_database_is_an_error_on_the_address_not_a_500(moderator_client):
    meanwhile = _FormMadeMeanwhile(creation_key=uuid.uuid4())
    data = admin_data() | {"creation_key": str(uuid.uuid4())}
    with connection.execute_wrapper(meanwhile):
        response = moderator_client.post(ADD_URL, data | PUBLISH)
    assert meanwhile.made is not None
    assert response.status_code == 200
    assert SLUG_TAKEN in response.text
    assert 'value="Report a broken street light"' in response.text  # nothing typed is lost
    assert list(ServiceForm.objects.values_list("title", flat=True)) == ["Made meanwhile"]


@pytest.mark.parametrize("before_the_check", [False, True], ids=["on-insert", "on-check"])
def test_a_publish_racing_its_own_autosave_publishes_the_autosaved_form(moderator_client, before_the_check):
    key = uuid.uuid4()
    # The autosave, finishing while this Publish is checked or inserted.
    meanwhile = _FormMadeMeanwhile(creation_key=key, before_the_check=before_the_check)
    with connection.execute_wrapper(meanwhile):
        response = moderator_client.post(ADD_URL, admin_data() | {"creation_key": str(key)} | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get()
    assert form.pk == meanwhile.made.pk and form.live
    assert form.title == "Report a broken street light"
    assert FormVersion.objects.filter(form=form).count() == 1


def test_a_publish_that_fails_leaves_no_draft_behind(moderator_client, monkeypatch):
    """Saving and publishing are one transaction: if publishing fails, the new form is not kept."""

    def refuse(*args, **kwargs):
        raise RuntimeError("publishing failed")

    monkeypatch.setattr("forms_engine.services.form_version_current", refuse)
    with pytest.raises(RuntimeError):
        moderator_client.post(ADD_URL, admin_data() | PUBLISH)
    assert not ServiceForm.objects.exists()


def test_the_add_page_key_is_fresh_each_time():
    first = ServiceForm.snippet_viewset.get_form_class()(instance=ServiceForm(), for_user=None)
    second = ServiceForm.snippet_viewset.get_form_class()(instance=ServiceForm(), for_user=None)
    assert first.initial["creation_key"] != second.initial["creation_key"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Needs PostgreSQL (set DATABASE_URL): SQLite serialises every write, so no race can happen",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_saves_sent_at_once_from_one_add_page_make_one_live_form():
    """Autosaves and a Publish from one add page, on their own connections as web workers
    would be: one form, published, and no error page."""
    moderator = staff_in("Moderators", full_name="Mo Moderator")
    key = str(uuid.uuid4())
    data = admin_data() | {"creation_key": key}
    work = [("autosave", data, AUTOSAVE), ("autosave", data, AUTOSAVE), ("publish", data | PUBLISH, {})]
    # Signed in before the threads start, so the barrier waits only for the threads to be
    # running, not for sign-ins (database writes on each thread's new connection): with the
    # sign-in inside the thread and a 10 second barrier, one slow sign-in on a loaded machine
    # breaks the barrier (BrokenBarrierError in every thread) although no save has failed.
    clients = []
    for _ in work:
        clients.append(Client())
        clients[-1].force_login(moderator)
    barrier = threading.Barrier(len(work))
    statuses, failures = {}, []

    def save(index, kind, post, headers):
        try:
            barrier.wait(timeout=120)
            statuses[index] = (kind, clients[index].post(ADD_URL, post, **headers).status_code)
        except Exception:  # noqa: BLE001 - reported below, with where it came from
            failures.append(f"{kind}: {traceback.format_exc()}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=save, args=(i, *job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a save was still running after 4 minutes"
    assert not failures, "\n".join(failures)
    assert sorted(statuses.values()) == [("autosave", 200), ("autosave", 200), ("publish", 302)]
    form = ServiceForm.objects.get()
    assert form.live and FormVersion.objects.filter(form=form).count() == 1
