"""Contact teams ("Handled by"): set up under Settings, chosen on each contact, archived not deleted."""

import pytest

from django.urls import reverse
from django.utils import timezone

from portal.interactions.constants import Channel
from portal.interactions.models import AssistedContact, ContactTeam, Interaction
from tests.portal.cases.factories import case_make, team_make

from .test_assisted_contacts import ADD_URL, LIST_URL, answers, record, staff_in

pytestmark = pytest.mark.django_db

TEAMS_URL = "/admin/contact-teams/"


@pytest.fixture
def manager():
    return staff_in("Service managers")


@pytest.fixture
def officer():
    return staff_in("Case officers")


@pytest.fixture
def customer_services():
    return ContactTeam.objects.create(name="Customer services")


@pytest.fixture
def outsourced():
    return ContactTeam.objects.create(name="Capita", description="Outsourced: contract CC-2026-04")


def offered(response) -> list[str]:
    return [label for value, label in response.context["form"].fields["handled_by"].choices if value]


# Managing the teams


def test_the_teams_are_under_settings():
    assert reverse("contact_teams:index") == TEAMS_URL


def test_a_service_manager_adds_a_team_and_archives_it(client, manager):
    client.force_login(manager)
    assert "Contact teams" in client.get("/admin/").text

    response = client.post(
        reverse("contact_teams:add"),
        {"name": "Capita", "description": "Outsourced: contract CC-2026-04", "active": "on"},
    )
    assert response.status_code == 302
    team = ContactTeam.objects.get()
    assert (team.name, team.description, team.active) == ("Capita", "Outsourced: contract CC-2026-04", True)

    response = client.post(
        reverse("contact_teams:edit", args=[team.pk]), {"name": "Capita", "description": ""}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.active is False

    listing = client.get(TEAMS_URL).text
    assert "Capita" in listing
    assert "Archived" in listing


def test_a_team_name_is_used_once(client, manager, outsourced):
    client.force_login(manager)
    response = client.post(reverse("contact_teams:add"), {"name": "Capita", "active": "on"})
    assert response.status_code == 200
    assert (
        "There is already a team with this name. Enter a different name, or edit that team" in response.text
    )
    assert ContactTeam.objects.count() == 1


def test_case_officers_cannot_manage_teams(client, officer, outsourced):
    client.force_login(officer)
    for url in (TEAMS_URL, reverse("contact_teams:add"), reverse("contact_teams:edit", args=[outsourced.pk])):
        assert client.get(url).status_code in (302, 403), url
    client.post(reverse("contact_teams:delete", args=[outsourced.pk]))
    assert ContactTeam.objects.filter(pk=outsourced.pk).exists()


def test_a_team_that_handled_contacts_cannot_be_deleted(client, manager, outsourced):
    record(handled_by=outsourced)
    record(handled_by=outsourced)
    url = reverse("contact_teams:delete", args=[outsourced.pk])
    client.force_login(manager)
    message = (
        "You cannot delete Capita because 2 contacts were handled by it. Archive the team instead: "
        "edit it and untick “Active”."
    )

    page = client.get(url)
    assert page.status_code == 200
    assert message in page.text
    assert "Yes, delete" not in page.text
    assert reverse("contact_teams:edit", args=[outsourced.pk]) in page.text

    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("contact_teams:edit", args=[outsourced.pk]), 302)]
    assert message in response.text
    assert ContactTeam.objects.filter(pk=outsourced.pk).exists()
    assert Interaction.objects.filter(handled_by=outsourced).count() == 2


def test_a_team_no_contact_used_can_be_deleted(client, manager, outsourced):
    client.force_login(manager)
    url = reverse("contact_teams:delete", args=[outsourced.pk])
    assert "Yes, delete" in client.get(url).text
    assert client.post(url).status_code == 302
    assert not ContactTeam.objects.exists()


# Choosing the team on a contact


def test_without_teams_the_form_does_not_ask(client, officer):
    client.force_login(officer)
    assert "handled_by" not in client.get(ADD_URL).context["form"].fields
    assert client.post(ADD_URL, answers()).status_code == 302
    assert AssistedContact.objects.get().handled_by is None


def test_the_form_offers_active_teams_and_needs_one(client, officer, customer_services, outsourced):
    ContactTeam.objects.create(name="Old call centre", active=False)
    client.force_login(officer)

    page = client.get(ADD_URL)
    assert offered(page) == ["Capita", "Customer services"]
    assert page.context["form"].initial.get("handled_by") is None  # nothing recorded yet: no guess
    assert "Handled by" in page.text

    missing = client.post(ADD_URL, answers(notes="Asked about bins"))
    assert missing.status_code == 200
    assert '<a href="#id_handled_by">Choose the team that handled the contact</a>' in missing.text
    assert "Asked about bins</textarea>" in missing.text

    archived = ContactTeam.objects.get(name="Old call centre")
    refused = client.post(ADD_URL, answers(handled_by=str(archived.pk)))
    assert "Choose the team that handled the contact" in refused.text
    assert not AssistedContact.objects.exists()

    assert client.post(ADD_URL, answers(handled_by=str(outsourced.pk))).status_code == 302
    assert AssistedContact.objects.get().handled_by == outsourced


def test_a_single_team_is_chosen_already(client, officer, outsourced):
    client.force_login(officer)
    assert client.get(ADD_URL).context["form"].initial["handled_by"] == outsourced.pk


def test_the_form_starts_on_the_team_of_the_officers_last_contact(
    client, officer, customer_services, outsourced
):
    record(staff=officer, handled_by=customer_services)
    record(staff=officer, handled_by=outsourced)
    record(staff=officer)  # before teams were set up: skipped
    record(handled_by=customer_services)  # someone else's
    client.force_login(officer)
    assert client.get(ADD_URL).context["form"].initial["handled_by"] == outsourced.pk

    outsourced.active = False
    outsourced.save()  # archived: no longer offered, so it is not the default either
    ContactTeam.objects.create(name="Libraries")
    assert client.get(ADD_URL).context["form"].initial["handled_by"] is None


def test_correcting_a_contact_keeps_its_archived_team_on_offer(
    client, officer, customer_services, outsourced
):
    contact = record(staff=officer, handled_by=outsourced)
    outsourced.active = False
    outsourced.save()
    url = reverse("assisted_contacts:edit", args=[contact.pk])
    client.force_login(officer)

    page = client.get(url)
    assert offered(page) == ["Capita (archived)", "Customer services"]
    assert page.context["form"]["handled_by"].value() == outsourced.pk

    when = timezone.localtime(contact.occurred_at).strftime("%Y-%m-%dT%H:%M")
    kept = answers(avoidable="no", avoidable_category="", resolved_first_contact="yes", occurred_at=when)
    response = client.post(url, {**kept, "handled_by": str(outsourced.pk)})
    assert response.status_code == 302, response.context["form"].errors
    contact.refresh_from_db()
    assert contact.handled_by == outsourced

    assert client.post(url, {**kept, "handled_by": str(customer_services.pk)}).status_code == 302
    contact.refresh_from_db()
    assert contact.handled_by == customer_services


def test_the_list_and_details_show_the_team_and_filter_by_it(client, officer, customer_services, outsourced):
    theirs = record(staff=officer, handled_by=outsourced, channel=Channel.EMAIL)
    ours = record(staff=officer, handled_by=customer_services)
    client.force_login(officer)

    listing = client.get(LIST_URL)
    assert "Handled by" in listing.text
    assert "Capita" in listing.text and "Customer services" in listing.text
    filtered = client.get(LIST_URL, {"handled_by": outsourced.pk})
    assert [contact.pk for contact in filtered.context["object_list"]] == [theirs.pk]

    details = client.get(reverse("assisted_contacts:inspect", args=[ours.pk])).text
    assert "Handled by" in details
    assert "Customer services" in details


def test_the_cases_own_record_a_contact_page_saves_the_team(client, officer, outsourced):
    team = team_make("Highways", "highways@council.example")
    team.members.add(officer)
    case = case_make(team=team, service_code=557, reference_prefix="POT")
    url = f"/admin/cases/{case.pk}/contact/"
    client.force_login(officer)

    assert client.get(url).context["form"].initial["handled_by"] == outsourced.pk
    data = answers(handled_by=str(outsourced.pk))
    for name in ("resident_email", "case_reference", "occurred_at"):
        data.pop(name)
    response = client.post(url, data)
    assert response.status_code == 302, response.text[:2000]
    contact = AssistedContact.objects.get()
    assert (contact.case_reference, contact.handled_by) == (case.reference, outsourced)
