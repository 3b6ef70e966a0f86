"""The "Moderation" workflow: an editor submits, a moderator approves, then the page is live."""

import pytest

from django.contrib.auth.models import Group

from wagtail.models import Workflow, WorkflowState

from cms.models import HomePage, ServicePage
from tests.accounts.factories import StaffFactory
from tests.cms.factories import BROWSER, publish

pytestmark = [
    pytest.mark.django_db,
    # Wagtail's moderation emails still call get_connection() (see docs/design.md, pitfalls).
    pytest.mark.filterwarnings("ignore:get_connection\\(\\) is deprecated"),
]


@pytest.fixture
def editor():
    user = StaffFactory(full_name="Eddie Editor")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def moderator():
    user = StaffFactory(full_name="Mo Moderator")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def category():
    from cms.models import ServiceIndexPage

    return publish(HomePage.objects.get(), ServiceIndexPage(title="Parking", slug="parking"))


def test_the_whole_site_uses_the_moderation_workflow(category):
    home = HomePage.objects.get()
    workflow = Workflow.objects.get(name="Moderation")
    assert home.get_workflow() == workflow
    assert category.get_workflow() == workflow
    (task,) = [t.specific for t in workflow.tasks]
    assert task.name == "Moderator approval"
    assert list(task.groups.values_list("name", flat=True)) == ["Moderators"]


def test_a_submitted_page_is_not_live_until_a_moderator_approves(client, category, editor, moderator):
    page = ServicePage(title="Apply for a parking permit", slug="permit", service_id=474, live=False)
    category.add_child(instance=page)
    page.save_revision(user=editor)
    assert not page.permissions_for_user(editor).can_publish()

    state = page.get_workflow().start(page, editor)
    page.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not page.live
    assert client.get("/parking/permit/", **BROWSER).status_code == 404

    task_state = state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(page, editor) == []  # editors cannot approve their own work
    assert "approve" in [name for name, *_ in task.get_actions(page, moderator)]

    task.on_action(task_state, moderator, "approve")
    page.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert page.live
    assert client.get("/parking/permit/", **BROWSER).status_code == 200


def test_a_rejected_page_stays_unpublished(category, editor, moderator):
    page = ServicePage(title="Pay a parking fine", slug="fine", live=False)
    category.add_child(instance=page)
    page.save_revision(user=editor)
    state = page.get_workflow().start(page, editor)
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, moderator, "reject")
    page.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not page.live


def test_an_editor_submits_in_the_admin(client, category, editor):
    page = ServicePage(title="Report an abandoned car", slug="abandoned-car", live=False)
    category.add_child(instance=page)
    page.save_revision(user=editor)
    client.force_login(editor)
    response = client.post(
        f"/admin/pages/{page.pk}/edit/",
        {
            "title": "Report an abandoned car",
            "slug": "abandoned-car",
            "start_label": "Start now",
            "body-count": "0",
            "contact-count": "0",
            "related_links-count": "0",
            "action-submit": "Submit to Moderation",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page.refresh_from_db()
    assert page.workflow_in_progress
    assert page.current_workflow_state.workflow.name == "Moderation"
    assert not page.live
