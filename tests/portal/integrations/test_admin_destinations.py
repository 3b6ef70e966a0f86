"""Integration managers set where each form's submissions go: the fields each kind needs,
checked with clear errors; an Open311 attribute map checked against the form's live questions;
a webhook's secret shown, never typed; every change in Wagtail's log."""

import pytest

from django.urls import reverse

from wagtail.models import ModelLogEntry

from portal.integrations.constants import DestinationKind
from portal.integrations.models import Destination
from tests.accounts.factories import staff_in
from tests.forms_engine.factories import form_republish, missed_bin_form, question, step
from tests.portal.integrations.factories import api_client_with_key, destination_create, refused

pytestmark = pytest.mark.django_db

ADD = "/admin/integrations/destinations/new/"
LIST = "/admin/integrations/destinations/"


@pytest.fixture
def form():
    return missed_bin_form()


@pytest.fixture
def manager():
    return staff_in("Integration managers")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def _answers(service_form, kind, /, **changes):
    data = {
        "form": str(service_form.pk),
        "name": "Highways",
        "kind": kind,
        "active": "on",
        "email_to": "",
        "attach_limit_mb": "10",
        "url": "",
        "open311_api_key": "",
        "open311_jurisdiction": "",
        "open311_service_code": "",
        "attribute_map": "",
        "poll_updates": "on",
        "status_client": "",
        "alert_email": "",
    }
    data.update(changes)
    return data


def _error(page, field: str, message: str) -> None:
    assert page.status_code == 400, page.status_code
    assert "There is a problem" in page.text
    assert message in page.text
    assert f'href="#id_{field}' in page.text, f"the summary links to {field}"


def test_an_email_destination_is_added_and_logged(signed_in, form, manager):
    page = signed_in.get(ADD)
    assert page.status_code == 200 and "Report a missed bin" in page.text
    response = signed_in.post(
        ADD,
        _answers(form, DestinationKind.EMAIL, email_to=" waste@council.example,  depot@council.example ,"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    destination = Destination.objects.get()
    assert response["Location"] == LIST
    assert destination.email_to == "waste@council.example, depot@council.example"
    assert destination.recipients == ["waste@council.example", "depot@council.example"]
    assert (destination.form, destination.kind, destination.active) == (form, "email", True)
    entry = ModelLogEntry.objects.get(object_id=str(destination.pk), action="wagtail.create")
    assert entry.user == manager
    listing = signed_in.get(LIST).text
    assert "Highways" in listing and "Report a missed bin" in listing and "Active" in listing


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        (DestinationKind.EMAIL, {}, "email_to", "Enter at least one email address"),
        (
            DestinationKind.EMAIL,
            {"email_to": "waste@council.example, not an address"},
            "email_to",
            "Enter email addresses in the correct format, like name@example.com, separated by commas",
        ),
        (DestinationKind.WEBHOOK, {}, "url", "Enter the address of the webhook, starting https://"),
        (
            DestinationKind.WEBHOOK,
            {"url": "http://back-office.example/hook"},
            "url",
            "Enter the address of the webhook, starting https://",
        ),
        (
            DestinationKind.WEBHOOK,
            {"url": "ftp://back-office.example/hook"},
            "url",
            "Enter the address of the webhook, starting https://",
        ),
        (
            DestinationKind.OPEN311,
            {"open311_service_code": "001"},
            "url",
            "Enter the address of the Open311 endpoint, starting https://",
        ),
        (
            DestinationKind.OPEN311,
            {"url": "https://confirm.example/open311/v2"},
            "open311_service_code",
            "Enter their service code for this form",
        ),
        (
            DestinationKind.OPEN311,
            {
                "url": "https://confirm.example/open311/v2",
                "open311_service_code": "1",
                "attribute_map": "bin",
            },
            "attribute_map",
            "Write “bin” as question name = attribute code, like bin_type = BIN_TYPE",
        ),
        (
            DestinationKind.OPEN311,
            {
                "url": "https://confirm.example/open311/v2",
                "open311_service_code": "1",
                "attribute_map": "bin_type = BIN\ncolour = COLOUR",
            },
            "attribute_map",
            "colour is not a question on Report a missed bin: use one of bin_type, permit_number, address, "
            "collection_date",
        ),
        (
            DestinationKind.OPEN311,
            {
                "url": "https://confirm.example/open311/v2",
                "open311_service_code": "1",
                "attribute_map": "bin_type = BIN\nbin_type = OTHER",
            },
            "attribute_map",
            "Map the question bin_type only once",
        ),
        (
            DestinationKind.EMAIL,
            {"name": "", "email_to": "a@b.example"},
            "name",
            "Enter a name for the destination",
        ),
        (DestinationKind.EMAIL, {"form": "", "email_to": "a@b.example"}, "form", "Choose the form whose"),
        (
            DestinationKind.EMAIL,
            {"email_to": "a@b.example", "alert_email": "nope"},
            "alert_email",
            "Enter an email address in the correct format, like name@example.com",
        ),
    ],
)
def test_what_each_kind_needs_is_checked_with_a_clear_error(signed_in, form, kind, changes, field, message):
    page = signed_in.post(ADD, _answers(form, kind, **changes))
    _error(page, field, message)
    assert not Destination.objects.exists()


def test_a_kind_is_required(signed_in, form):
    page = signed_in.post(ADD, _answers(form, ""))
    _error(page, "kind", "Choose how the submissions are sent")


@pytest.mark.parametrize(
    "url",
    ["https://back-office.example/hook", "http://127.0.0.1:8123/hook", "http://localhost:8000/in"],
)
def test_https_anywhere_and_http_only_on_this_machine(signed_in, form, url):
    response = signed_in.post(ADD, _answers(form, DestinationKind.WEBHOOK, url=url))
    assert response.status_code == 302
    assert Destination.objects.get().url == url


def test_an_open311_destination_maps_the_forms_live_questions(signed_in, form):
    client, _key = api_client_with_key("Confirm")
    response = signed_in.post(
        ADD,
        _answers(
            form,
            DestinationKind.OPEN311,
            url="https://confirm.example/open311/v2",
            open311_api_key="their-secret",
            open311_jurisdiction="council.example",
            open311_service_code="BIN-01",
            attribute_map="bin_type = BIN_TYPE\n\n  collection_date=DUE_DATE  \n",
            status_client=str(client.pk),
        ),
    )
    assert response.status_code == 302
    destination = Destination.objects.get()
    assert destination.attribute_map == {"bin_type": "BIN_TYPE", "collection_date": "DUE_DATE"}
    assert destination.status_client == client
    assert (destination.open311_service_code, destination.open311_jurisdiction) == (
        "BIN-01",
        "council.example",
    )

    # The edit page shows the map as lines, and the form's questions to choose from.
    page = signed_in.get(reverse("integrations_admin:destination", args=[destination.pk]))
    assert "bin_type = BIN_TYPE\ncollection_date = DUE_DATE" in page.text
    assert "<code>permit_number</code>" in page.text

    # A question added in a new version of the form can be mapped once that version is live.
    steps = [
        *form.steps.raw_data,
        step("Colour", question("text", "bin_colour", "What colour is the bin?")),
    ]
    edit = _answers(
        form,
        DestinationKind.OPEN311,
        url="https://confirm.example/open311/v2",
        open311_service_code="BIN-01",
        attribute_map="bin_colour = COLOUR",
    )
    url = reverse("integrations_admin:destination", args=[destination.pk])
    _error(signed_in.post(url, edit), "attribute_map", "bin_colour is not a question on Report a missed bin")
    form_republish(form, steps=steps)
    assert signed_in.post(url, edit).status_code == 302
    destination.refresh_from_db()
    assert destination.attribute_map == {"bin_colour": "COLOUR"}


def test_a_revoked_client_is_not_offered_for_status_updates(signed_in, form):
    active, _ = api_client_with_key("Confirm")
    revoked, _ = api_client_with_key("Old system")
    revoked.revoked_at = revoked.created_at
    revoked.save()
    page = signed_in.get(ADD)
    choices = [str(choice) for _value, choice in page.context["form"].fields["status_client"].choices]
    assert "Confirm" in choices and "Old system" not in choices
    response = signed_in.post(
        ADD, _answers(form, DestinationKind.WEBHOOK, url="https://x.example/h", status_client=str(revoked.pk))
    )
    _error(response, "status_client", "Select a valid choice")


def test_the_webhook_secret_is_shown_on_the_edit_page_and_cannot_be_changed(signed_in, form, manager):
    destination = destination_create(form, DestinationKind.WEBHOOK, url="https://back-office.example/hook")
    secret = destination.secret
    url = reverse("integrations_admin:destination", args=[destination.pk])
    page = signed_in.get(url)
    assert page.status_code == 200
    assert f'value="{secret}"' in page.text and "readonly" in page.text
    assert "Portal-Signature" in page.text and "HMAC-SHA256" in page.text

    response = signed_in.post(
        url,
        _answers(
            form,
            DestinationKind.WEBHOOK,
            url="https://back-office.example/v2/hook",
            active="",
            secret="whsec_chosen_by_an_attacker",
        ),
    )
    assert response.status_code == 302
    destination.refresh_from_db()
    assert destination.secret == secret
    assert destination.url == "https://back-office.example/v2/hook" and not destination.active
    assert ModelLogEntry.objects.filter(
        object_id=str(destination.pk), action="wagtail.edit", user=manager
    ).exists()
    assert "Not active" in signed_in.get(LIST).text


def test_other_staff_cannot_see_or_change_destinations(client, form):
    destination = destination_create(form, DestinationKind.WEBHOOK, url="https://back-office.example/hook")
    for group in ("Case officers", "Service managers", "Editors", "Moderators"):
        client.force_login(staff_in(group))
        url = reverse("integrations_admin:destination", args=[destination.pk])
        assert refused(client.get(url)), group
        assert refused(client.get(LIST)), group
        assert refused(
            client.post(url, _answers(form, DestinationKind.WEBHOOK, url="https://evil.example/"))
        ), group
        assert refused(client.post(ADD, _answers(form, DestinationKind.EMAIL, email_to="me@evil.example")))
    destination.refresh_from_db()
    assert destination.url == "https://back-office.example/hook"
    assert Destination.objects.count() == 1


def test_a_missing_destination_is_404_for_managers(signed_in):
    assert signed_in.get(reverse("integrations_admin:destination", args=[999999])).status_code == 404


# Review finding 5: addresses inside the portal's own network; finding 10: replacing the secret


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8123/hook", "starting https://"),
        ("http://localhost:8000/in", "starting https://"),
        ("https://127.0.0.1/hook", "private, local or reserved address"),
        ("https://10.0.0.1/hook", "private, local or reserved address"),
        ("https://169.254.169.254/latest/meta-data/", "private, local or reserved address"),
        ("https://[::1]/hook", "private, local or reserved address"),
    ],
)
def test_local_and_private_addresses_are_refused_in_production(signed_in, form, settings, url, message):
    settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = False
    settings.DEBUG = False
    page = signed_in.post(ADD, _answers(form, DestinationKind.WEBHOOK, url=url))
    _error(page, "url", message)
    assert not Destination.objects.exists()


def test_the_signing_secret_is_replaced_after_a_confirmation_and_logged(signed_in, form, manager):
    destination = destination_create(form, DestinationKind.WEBHOOK, url="https://back-office.example/hook")
    old = destination.secret
    edit = reverse("integrations_admin:destination", args=[destination.pk])
    replace = reverse("integrations_admin:destination_secret_replace", args=[destination.pk])
    page = signed_in.get(edit)
    assert f'href="{replace}"' in page.text and "Replace the signing secret" in page.text

    confirm = signed_in.get(replace)
    assert confirm.status_code == 200
    assert "24 hours" in confirm.text and '<form method="post">' in confirm.text
    destination.refresh_from_db()
    assert destination.secret == old  # nothing changes until the POST

    response = signed_in.post(replace)
    assert response.status_code == 302 and response["Location"] == edit
    destination.refresh_from_db()
    assert destination.secret != old and destination.previous_secret == old
    assert destination.previous_secret_until is not None
    assert ModelLogEntry.objects.filter(
        object_id=str(destination.pk), action="integrations.destination_secret_replace", user=manager
    ).exists()
    page = signed_in.get(edit)
    assert f'value="{destination.secret}"' in page.text
    assert "The secret was replaced recently" in page.text
    assert old not in page.text  # the old secret is never shown again


def test_only_a_webhook_has_a_secret_to_replace(signed_in, form):
    destination = destination_create(form, DestinationKind.EMAIL)
    url = reverse("integrations_admin:destination_secret_replace", args=[destination.pk])
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url).status_code == 404


def test_other_staff_cannot_replace_the_secret(client, form):
    destination = destination_create(form, DestinationKind.WEBHOOK, url="https://back-office.example/hook")
    old = destination.secret
    url = reverse("integrations_admin:destination_secret_replace", args=[destination.pk])
    client.force_login(staff_in("Case officers"))
    assert refused(client.get(url)) and refused(client.post(url))
    destination.refresh_from_db()
    assert destination.secret == old
