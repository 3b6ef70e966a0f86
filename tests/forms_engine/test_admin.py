"""The forms editor in Wagtail: listing, creating, publishing, previewing, archiving, permissions."""

import pytest

from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from forms_engine.constants import FormState
from forms_engine.models import FormVersion, ServiceForm
from tests.accounts.factories import StaffFactory, UserFactory, staff_in

from .factories import form_create, form_published

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/forms/"
ADD_URL = "/admin/forms/add/"
NO_CONDITION = {"field": "", "operator": "equals", "value": ""}


def edit_url(form) -> str:
    return f"/admin/forms/edit/{form.pk}/"


def _list(values: list[str]) -> dict:
    data = {str(i): {"value": v, "deleted": "", "order": str(i)} for i, v in enumerate(values)}
    data["count"] = str(len(values))
    return data


def _question(kind: str, name: str, label: str, *, condition=None, **options) -> tuple[str, dict]:
    value = {"label": label, "name": name, "hint": "", "required": "on", **options}
    value["condition"] = condition or NO_CONDITION
    return kind, value


def admin_data(*, title="Report a broken street light", slug="street-light", steps=None, **fields) -> dict:
    """What the snippet editor posts: every field, with the steps as StreamField form data."""
    steps = steps or [
        (
            "step",
            {
                "title": "Which light?",
                "intro": "",
                "questions": streamfield(
                    [_question("radios", "light", "Is the light", choices=_list(["Off", "Flickering"]))]
                ),
                "condition": NO_CONDITION,
            },
        ),
        (
            "step",
            {
                "title": "Where?",
                "intro": "",
                "questions": streamfield(
                    [_question("location", "where", "Where is it?", ask_coordinates="on")]
                ),
                "condition": NO_CONDITION,
            },
        ),
    ]
    data = {
        "title": title,
        "slug": slug,
        "service": "564",
        "intro": rich_text("<p>Tell us about a street light.</p>"),
        "steps": streamfield(steps),
        "sign_in": "optional",
        "fee_type": "none",
        "fee_amount_pence": "",
        "fee_field": "",
        "fee_description": "",
        "fee_vat": "outside_scope",
        "reference_prefix": "SL",
        "creates_case": "on",
        "team": "",
        "sla_working_days": "5",
        "confirmation_text": rich_text("<p>Thank you.</p>"),
        "next_steps": rich_text("<p>We will fix it.</p>"),
        "closed_message": rich_text(""),
    }
    data.update(fields)
    return nested_form_data(data)


@pytest.fixture
def editor():
    return staff_in("Editors", full_name="Eddie Editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def moderator():
    return staff_in("Moderators", full_name="Mo Moderator")


@pytest.fixture
def moderator_client(client, moderator):
    """Moderators publish, archive and reopen forms; editors submit them for moderation."""
    client.force_login(moderator)
    return client


def test_editors_build_forms_and_moderators_also_publish_them():
    def codenames(name):
        perms = Group.objects.get(name=name).permissions.filter(content_type__app_label="forms_engine")
        return set(perms.values_list("codename", flat=True))

    build = {"add_serviceform", "change_serviceform", "delete_serviceform"}
    assert codenames("Editors") == build
    assert codenames("Moderators") == build | {
        "publish_serviceform",
        "lock_serviceform",
        "unlock_serviceform",
    }
    for name in ("Case officers", "Service managers", "Finance"):
        assert not Group.objects.get(name=name).permissions.filter(content_type__app_label="forms_engine")


def test_the_listing_shows_state_service_fee_and_live_version(editor_client):
    draft = form_create(title="A draft form", slug="a-draft", service_id=524)
    live = form_published(
        title="Book a bulky waste collection",
        slug="bulky",
        service_id=528,
        fee_type="per_answer",
        fee_amount_pence=1250,
        fee_field="items",
    )
    archived = form_published(title="An old form", slug="old", fee_type="fixed", fee_amount_pence=2500)
    ServiceForm.objects.filter(pk=archived.pk).update(archived=True)

    response = editor_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.text
    assert "Forms" in html
    for form in (draft, live, archived):
        assert form.title in html
    assert "£12.50 per item" in html
    assert "£25.00" in html
    assert "Household waste - special collections for large items – Refuse (528)" in html
    rows = {row.title: row for row in response.context["object_list"]}
    assert rows["Book a bulky waste collection"].live_version == 1
    assert rows["A draft form"].live_version is None
    assert [rows[t].state for t in ("A draft form", "Book a bulky waste collection", "An old form")] == [
        FormState.DRAFT,
        FormState.LIVE,
        FormState.ARCHIVED,
    ]
    assert "Statistics" in html


@pytest.mark.parametrize(
    ("state", "expected"),
    [("draft", ["A draft"]), ("live", ["Live one"]), ("archived", ["Closed one"])],
)
def test_the_listing_filters_by_state(editor_client, state, expected):
    form_create(title="A draft", slug="a-draft")
    form_published(title="Live one", slug="live-one")
    closed = form_published(title="Closed one", slug="closed-one")
    ServiceForm.objects.filter(pk=closed.pk).update(archived=True)
    response = editor_client.get(LIST_URL, {"state": state})
    assert [form.title for form in response.context["object_list"]] == expected


def test_the_listing_filters_by_service_and_searches(editor_client):
    form_published(title="Report a missed bin", slug="missed-bin", service_id=524)
    form_published(title="Report a pothole", slug="pothole", service_id=557)
    response = editor_client.get(LIST_URL, {"service": "557"})
    assert [form.title for form in response.context["object_list"]] == ["Report a pothole"]
    response = editor_client.get(LIST_URL, {"q": "missed"})
    assert [form.title for form in response.context["object_list"]] == ["Report a missed bin"]


def test_a_moderator_creates_a_form_and_publishes_it(moderator_client, moderator):
    assert moderator_client.get(ADD_URL).status_code == 200
    response = moderator_client.post(ADD_URL, admin_data() | {"action-publish": "action-publish"})
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="street-light")
    assert form.live and form.state == FormState.LIVE
    version = FormVersion.objects.get(form=form)
    assert version.number == 1
    assert [s["title"] for s in version.schema["steps"]] == ["Which light?", "Where?"]
    question = version.schema["steps"][0]["questions"][0]
    assert question["options"]["choices"] == ["Off", "Flickering"]
    assert version.schema["service_code"] == 564
    assert ModelLogEntry.objects.filter(
        object_id=str(form.pk), action="wagtail.publish", user=moderator
    ).exists()


def test_saving_a_draft_does_not_make_a_version(editor_client):
    response = editor_client.post(ADD_URL, admin_data())
    assert response.status_code == 302, response.text[:3000]
    form = ServiceForm.objects.get(slug="street-light")
    assert not form.live and form.state == FormState.DRAFT
    assert not FormVersion.objects.filter(form=form).exists()


def test_editing_a_live_form_and_publishing_makes_a_second_version(moderator_client):
    moderator_client.post(ADD_URL, admin_data() | {"action-publish": "action-publish"})
    form = ServiceForm.objects.get(slug="street-light")
    first = FormVersion.objects.get(form=form)

    # A draft edit changes nothing residents see...
    response = moderator_client.post(edit_url(form), admin_data(title="Report a street light fault"))
    assert response.status_code == 302, response.text[:3000]
    assert FormVersion.objects.filter(form=form).count() == 1
    form.refresh_from_db()
    assert form.title == "Report a broken street light" and form.has_unpublished_changes

    # ...publishing it makes version 2; version 1 is untouched.
    response = moderator_client.post(
        edit_url(form),
        admin_data(title="Report a street light fault") | {"action-publish": "action-publish"},
    )
    assert response.status_code == 302, response.text[:3000]
    versions = list(FormVersion.objects.filter(form=form).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0] == first and versions[0].schema["title"] == "Report a broken street light"
    assert versions[1].schema["title"] == "Report a street light fault"
    form.refresh_from_db()
    assert form.live_revision_id == versions[1].revision_id


def test_schema_errors_show_in_the_editor_and_nothing_is_saved(moderator_client):
    steps = [
        (
            "step",
            {
                "title": "First",
                "intro": "",
                "questions": streamfield(
                    [
                        _question("text", "name", "Your name"),
                        _question("text", "name", "Your name again"),
                        _question(
                            "text",
                            "extra",
                            "Extra",
                            condition={"field": "later", "operator": "equals", "value": "x"},
                        ),
                    ]
                ),
                "condition": NO_CONDITION,
            },
        ),
    ]
    data = admin_data(steps=steps, fee_type="per_answer", fee_amount_pence="250", fee_field="name")
    response = moderator_client.post(ADD_URL, data | {"action-publish": "action-publish"})
    assert response.status_code == 200
    html = response.text
    assert "Two questions are named" in html
    assert "which is not an earlier question" in html
    assert "is not a number question on this form" in html
    assert not ServiceForm.objects.exists()


def test_an_invalid_question_name_is_a_clear_error(editor_client):
    steps = [
        (
            "step",
            {
                "title": "First",
                "intro": "",
                "questions": streamfield([_question("text", "Bad Name!", "Your name")]),
                "condition": NO_CONDITION,
            },
        ),
    ]
    response = editor_client.post(ADD_URL, admin_data(steps=steps))
    assert response.status_code == 200
    assert "Use lower-case letters, digits and underscores" in response.text
    assert not ServiceForm.objects.exists()


PREVIEW_TEMPLATE = (
    "{% for step in schema.steps %}<h2>{{ step.title }}</h2>"
    "{% for q in step.questions %}<p>{{ q.label }}</p>{% endfor %}{% endfor %}"
)


def _preview_templates(settings):
    """Use the real preview template when the engine has one; else a stand-in for this test only."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("forms_engine/preview.html")
    except TemplateDoesNotExist:
        templates = [dict(t) for t in settings.TEMPLATES]
        options = dict(templates[0]["OPTIONS"])
        options["loaders"] = [
            ("django.template.loaders.locmem.Loader", {"forms_engine/preview.html": PREVIEW_TEMPLATE}),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ]
        templates[0] = {**templates[0], "APP_DIRS": False, "OPTIONS": options}
        return override_settings(TEMPLATES=templates)
    return override_settings()


def test_preview_shows_the_unsaved_questions(editor_client, settings):
    form = form_published()
    url = f"/admin/forms/preview/{form.pk}/"
    with _preview_templates(settings):
        data = admin_data(title="Report a missed bin", slug="missed-bin")
        response = editor_client.post(url, data)
        assert response.status_code == 200
        assert response.json()["is_valid"] is True
        response = editor_client.get(url)
        assert response.status_code == 200
    assert "Is the light" in response.text
    assert "Where is it?" in response.text


def test_archive_and_reopen(moderator_client):
    form = form_published(title="Report a missed bin")
    response = moderator_client.get(f"/admin/forms/archive/{form.pk}/")
    assert response.status_code == 200
    assert "Archive “Report a missed bin”?" in response.text
    assert "Archive (close the form)" in moderator_client.get(edit_url(form)).text

    response = moderator_client.post(f"/admin/forms/archive/{form.pk}/")
    assert response.status_code == 302 and response["Location"] == edit_url(form)
    form.refresh_from_db()
    assert form.archived and form.state == FormState.ARCHIVED
    assert FormVersion.objects.filter(form=form).count() == 1  # versions are kept
    page = moderator_client.get(edit_url(form)).text
    assert "This form is archived." in page and "Reopen" in page
    assert ModelLogEntry.objects.filter(object_id=str(form.pk), action="forms_engine.archive").exists()

    # Publishing an edit while archived keeps it archived.
    moderator_client.post(
        edit_url(form),
        admin_data(title="Report a missed bin", slug="missed-bin") | {"action-publish": "action-publish"},
    )
    form.refresh_from_db()
    assert form.archived and FormVersion.objects.filter(form=form).count() == 1

    # Archiving twice is refused with a message, not an error page.
    response = moderator_client.post(f"/admin/forms/archive/{form.pk}/", follow=True)
    assert "This form is already archived" in response.text

    response = moderator_client.post(f"/admin/forms/reopen/{form.pk}/")
    assert response.status_code == 302
    form.refresh_from_db()
    assert not form.archived and form.state == FormState.LIVE
    assert FormVersion.objects.filter(form=form).count() == 2


def test_a_draft_form_cannot_be_archived(moderator_client):
    form = form_create()
    response = moderator_client.post(f"/admin/forms/archive/{form.pk}/", follow=True)
    assert "Only a live form can be archived" in response.text
    form.refresh_from_db()
    assert not form.archived


def test_a_published_form_cannot_be_deleted_but_a_draft_can(editor_client):
    live = form_published(slug="live-form")
    response = editor_client.post(f"/admin/forms/delete/{live.pk}/", follow=True)
    assert "cannot be deleted" in response.text
    assert ServiceForm.objects.filter(pk=live.pk).exists()

    draft = form_create(slug="draft-form")
    assert editor_client.get(f"/admin/forms/delete/{draft.pk}/").status_code == 200
    response = editor_client.post(f"/admin/forms/delete/{draft.pk}/")
    assert response.status_code == 302
    assert not ServiceForm.objects.filter(pk=draft.pk).exists()


def test_publishing_in_code_freezes_the_version_at_once():
    form = form_create()
    form.save_revision().publish()
    assert FormVersion.objects.filter(form=form, number=1).exists()


@pytest.mark.parametrize("group", ["Case officers", "Finance"])
def test_staff_without_form_permissions_are_refused(client, group):
    form = form_published()
    client.force_login(staff_in(group))
    for url in (LIST_URL, ADD_URL, edit_url(form), f"/admin/forms/archive/{form.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert response.status_code == 403 or response["Location"] in (
            "/admin/",
            reverse("wagtailadmin_home"),
        )
    response = client.post(f"/admin/forms/archive/{form.pk}/")
    form.refresh_from_db()
    assert not form.archived
    assert "/admin/forms/" not in client.get("/admin/").text


def test_residents_cannot_reach_the_forms_editor(client):
    client.force_login(UserFactory())
    assert client.get(LIST_URL).status_code in (302, 403)


def test_the_forms_menu_item_is_shown_to_editors(editor_client):
    assert "/admin/forms/" in editor_client.get("/admin/").text


def test_moderators_can_publish_too(client):
    client.force_login(staff_in("Moderators"))
    response = client.post(ADD_URL, admin_data() | {"action-publish": "action-publish"})
    assert response.status_code == 302
    assert ServiceForm.objects.get(slug="street-light").live


def test_superusers_see_everything(client):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get(LIST_URL).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["files", "resume"])
def test_a_form_cannot_take_an_address_the_forms_pages_use(slug):
    from django.core.exceptions import ValidationError

    from forms_engine.models import ServiceForm

    form = ServiceForm(title="Clash", slug=slug, steps=[])
    with pytest.raises(ValidationError) as error:
        form.clean()
    assert "used by the forms pages" in str(error.value.message_dict["slug"])
