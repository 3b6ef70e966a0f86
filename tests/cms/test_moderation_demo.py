"""The demo can publish a page: an editor submits it, the demo moderator approves it, it goes live.

And moderation is chosen per section: in the demo, Libraries pages are published by editors
without moderation; everywhere else they need a moderator.
"""

from io import StringIO

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from wagtail.models import GroupPagePermission, Workflow, WorkflowPage, WorkflowState

from accounts.groups import staff_groups_sync
from cms.models import HomePage, ServiceIndexPage, ServicePage
from tests.cms.factories import BROWSER

pytestmark = [
    pytest.mark.django_db,
    # Wagtail's moderation emails still call get_connection() (see docs/design.md, pitfalls).
    pytest.mark.filterwarnings("ignore:get_connection\\(\\) is deprecated"),
]
User = get_user_model()
PASSWORD = "demo-portal-2026"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def _sign_in(client, email: str) -> None:
    """As a member of staff would: the demo password, then the demo authenticator app's code."""
    client.logout()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    out = StringIO()
    call_command("demo_totp_code", email, stdout=out)
    response = client.post("/accounts/2fa/authenticate/", {"code": out.getvalue().strip()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def _draft(section_slug: str, slug: str, editor) -> ServicePage:
    section = ServiceIndexPage.objects.get(slug=section_slug)
    page = ServicePage(title="Order a recycling sack", slug=slug, live=False)
    section.add_child(instance=page)
    page.save_revision(user=editor)
    return page


def _edit(client, page, action: str):
    return client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        {
            "title": page.title,
            "slug": page.slug,
            "start_label": "Start now",
            "body-count": "0",
            "contact-count": "0",
            "related_links-count": "0",
            action: "yes",
        },
    )


def test_the_demo_has_a_moderator_who_signs_in_with_two_step_verification(client, demo):
    moderator = User.objects.get(email="moderator@example.com")
    assert moderator.is_staff
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    _sign_in(client, "moderator@example.com")


def test_an_editor_submits_the_moderator_approves_and_the_page_goes_live(client, demo):
    editor = User.objects.get(email="officer@example.com")
    assert editor.groups.filter(name="Editors").exists()
    page = _draft("bins-and-recycling", "recycling-sacks", editor)
    url = "/bins-and-recycling/recycling-sacks/"

    _sign_in(client, "officer@example.com")
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).text
    assert "Submit to Moderation" in edit and 'name="action-publish"' not in edit
    assert _edit(client, page, "action-publish").status_code in (200, 302)
    page.refresh_from_db()
    assert not page.live  # an editor cannot publish here
    response = _edit(client, page, "action-submit")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.workflow_in_progress and not page.live
    assert client.get(url, **BROWSER).status_code == 404

    _sign_in(client, "moderator@example.com")
    task_state = page.current_workflow_state.current_task_state
    assert "Order a recycling sack" in client.get("/admin/").text  # awaiting their review
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert page.workflow_states.get().status == WorkflowState.STATUS_APPROVED
    client.logout()
    assert client.get(url, **BROWSER).status_code == 200


def test_editors_publish_the_libraries_section_without_moderation(client, demo):
    editor = User.objects.get(email="officer@example.com")
    page = _draft("libraries", "library-events", editor)
    _sign_in(client, "officer@example.com")
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).text
    assert 'name="action-publish"' in edit
    assert _edit(client, page, "action-publish").status_code == 302
    page.refresh_from_db()
    assert page.live and not page.workflow_in_progress
    client.logout()
    assert client.get("/libraries/library-events/", **BROWSER).status_code == 200


def test_a_section_permission_given_in_the_admin_survives_the_groups_sync(demo):
    """accounts/groups.py manages the root's permissions only, so the council's choice stays."""
    libraries = GroupPagePermission.objects.filter(
        group__name="Editors", page__slug="libraries", permission__codename="publish_page"
    )
    assert libraries.exists()
    staff_groups_sync()
    assert libraries.exists()
    # ... while the root's are still exactly as declared (tests/accounts/test_groups.py).
    root = GroupPagePermission.objects.filter(group__name="Editors", page__depth=1)
    assert set(root.values_list("permission__codename", flat=True)) == {"add_page", "change_page"}


def test_a_council_puts_the_workflow_on_some_sections_only(client, demo):
    """Settings → Workflows: the Moderation workflow taken off the home page (and Wagtail's
    default one off the root) and assigned to the Bins section alone. Bins pages still go to a
    moderator; in a section with no workflow an editor whose group may publish there publishes
    directly, and one who may not can only save drafts (nothing to submit to): turning
    moderation off is giving Publish on the section."""
    moderation = Workflow.objects.get(name="Moderation")
    # Off the home page, and Wagtail's own "Moderators approval" off the tree's root (pages
    # with no workflow of their own take the nearest one above them, the root's included).
    WorkflowPage.objects.filter(page__depth__lte=HomePage.objects.get().depth).delete()
    WorkflowPage.objects.create(
        page=ServiceIndexPage.objects.get(slug="bins-and-recycling"), workflow=moderation
    )
    editor = User.objects.get(email="officer@example.com")
    editors = Group.objects.get(name="Editors")
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")

    bins = _draft("bins-and-recycling", "recycling-sacks", editor)
    housing = _draft("housing", "housing-advice-line", editor)
    assert bins.get_workflow() == moderation and housing.get_workflow() is None

    _sign_in(client, "officer@example.com")
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[bins.pk])).text
    assert "Submit to Moderation" in edit and 'name="action-publish"' not in edit
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[housing.pk])).text
    assert "Submit to" not in edit and 'name="action-publish"' not in edit  # drafts only

    GroupPagePermission.objects.create(
        group=editors, page=ServiceIndexPage.objects.get(slug="housing"), permission=publish
    )
    assert _edit(client, housing, "action-publish").status_code == 302
    housing.refresh_from_db()
    assert housing.live and not housing.workflow_states.exists()
