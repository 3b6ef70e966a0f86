"""Forms follow the moderation workflow, as content pages do: an editor submits a form (a
fee-charging one included), a moderator previews it as residents will see it and approves
it, and only then does it go live."""

import pytest

from django.contrib.contenttypes.models import ContentType

from wagtail.models import ModelLogEntry, WorkflowContentType, WorkflowState
from wagtail.test.utils.form_data import streamfield

from forms_engine.models import FormVersion, ServiceForm
from tests.accounts.factories import staff_in

from .factories import form_create
from .test_admin import ADD_URL, NO_CONDITION, _question, admin_data, edit_url

pytestmark = pytest.mark.django_db

SUBMIT = {"action-submit": "action-submit"}
PUBLISH = {"action-publish": "action-publish"}


@pytest.fixture
def editor():
    return staff_in("Editors", full_name="Eddie Editor")


@pytest.fixture
def moderator():
    return staff_in("Moderators", full_name="Mo Moderator")


def _fee_form_data(**fields):
    steps = [
        (
            "step",
            {
                "title": "Your items",
                "intro": "",
                "questions": _streamfield_questions(),
                "condition": NO_CONDITION,
            },
        ),
    ]
    return admin_data(
        title="Book a bulky waste collection",
        slug="bulky-waste",
        steps=steps,
        fee_type="per_answer",
        fee_amount_pence="12.50",
        fee_field="item_count",
        fee_description="Bulky waste collection",
        **fields,
    )


def _streamfield_questions():
    return streamfield([_question("number", "item_count", "How many items?", min_value="1", max_value="5")])


def test_forms_are_assigned_the_sites_moderation_workflow():
    assignment = WorkflowContentType.objects.get(content_type=ContentType.objects.get_for_model(ServiceForm))
    assert assignment.workflow.active
    assert ServiceForm.get_default_workflow() == assignment.workflow
    approvers = {group.name for task in assignment.workflow.tasks.specific() for group in task.groups.all()}
    assert approvers == {"Moderators"}


def test_an_editor_can_submit_a_form_but_not_publish_it(client, editor):
    client.force_login(editor)
    html = client.get(ADD_URL).text
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html

    # A hand-made "publish" from an editor only saves a draft.
    response = client.post(ADD_URL, _fee_form_data() | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="bulky-waste")
    assert not form.live and not FormVersion.objects.filter(form=form).exists()


def test_an_editors_fee_form_goes_to_moderation_and_a_moderator_approves_it(client, editor, moderator):
    client.force_login(editor)
    response = client.post(ADD_URL, _fee_form_data() | SUBMIT)
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="bulky-waste")
    assert form.fee_amount_pence == 1250
    # Submitted, not live: residents cannot open it and no version is frozen yet.
    assert not form.live and form.workflow_in_progress
    assert not FormVersion.objects.filter(form=form).exists()
    assert client.get("/forms/bulky-waste/").status_code == 404
    state = form.current_workflow_state
    assert state.requested_by == editor and state.status == WorkflowState.STATUS_IN_PROGRESS

    # The moderator sees it waiting, previews it as a resident will, and approves it.
    client.force_login(moderator)
    assert "Book a bulky waste collection" in client.get("/admin/").text
    task_state = form.current_workflow_task_state
    preview = client.get(f"/admin/forms/workflow/preview/{form.pk}/{task_state.task_id}/")
    assert preview.status_code == 200
    html = preview.text
    assert "This is how residents will see the form." in html
    assert "How many items?" in html and "£12.50" in html

    response = client.post(
        f"/admin/forms/workflow/action/{form.pk}/approve/{task_state.pk}/", {"comment": "Fee checked"}
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.live and not form.workflow_in_progress
    version = FormVersion.objects.get(form=form)
    assert version.schema["fee"] == {
        "type": "per_answer",
        "amount_pence": 1250,
        "field": "item_count",
        "description": "Bulky waste collection",
        "vat": "outside_scope",
    }
    assert ModelLogEntry.objects.filter(
        object_id=str(form.pk), action="wagtail.workflow.approve", user=moderator
    ).exists()
    assert client.get("/forms/bulky-waste/").status_code == 200


def test_an_editors_change_to_a_live_form_waits_for_approval(client, editor, moderator):
    form = form_create(slug="street-light", title="Report a broken street light")
    form.save_revision().publish()
    client.force_login(editor)
    response = client.post(edit_url(form), admin_data(fee_type="fixed", fee_amount_pence="85") | SUBMIT)
    assert response.status_code == 302, response.text[:3000]
    form.refresh_from_db()
    # Residents still get the free version until a moderator approves the fee.
    assert form.fee_type == "none" and form.workflow_in_progress
    assert FormVersion.objects.filter(form=form).count() == 1

    client.force_login(moderator)
    task_state = form.current_workflow_task_state
    client.post(f"/admin/forms/workflow/action/{form.pk}/approve/{task_state.pk}/", {"comment": ""})
    form.refresh_from_db()
    assert (form.fee_type, form.fee_amount_pence) == ("fixed", 8500)
    assert FormVersion.objects.filter(form=form).count() == 2


def test_a_moderator_can_ask_for_changes_and_the_form_stays_unpublished(client, editor, moderator):
    client.force_login(editor)
    client.post(ADD_URL, _fee_form_data() | SUBMIT)
    form = ServiceForm.objects.get(slug="bulky-waste")
    client.force_login(moderator)
    task_state = form.current_workflow_task_state
    client.post(
        f"/admin/forms/workflow/action/{form.pk}/reject/{task_state.pk}/", {"comment": "Fee too high"}
    )
    form.refresh_from_db()
    assert not form.live and not FormVersion.objects.exists()
    assert form.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_moderators_publish_directly_as_they_do_pages(client, moderator):
    client.force_login(moderator)
    response = client.post(ADD_URL, _fee_form_data() | PUBLISH)
    assert response.status_code == 302, response.text[:3000]
    assert ServiceForm.objects.get(slug="bulky-waste").live


def test_editors_cannot_archive_a_live_form(client, editor):
    form = form_create(slug="street-light")
    form.save_revision().publish()
    client.force_login(editor)
    client.post(f"/admin/forms/archive/{form.pk}/")
    form.refresh_from_db()
    assert not form.archived
