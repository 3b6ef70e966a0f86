"""A case officer records a phone call in the admin; the service manager then sees it counted."""

import re
from io import StringIO
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from portal.interactions.models import Interaction
from tests.accounts.factories import StaffFactory
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _sign_in(journey, user, next_path):
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)


def test_an_officer_records_a_call_and_the_dashboard_counts_it(journey):
    officer = StaffFactory(full_name="Olu Officer")
    officer.groups.add(Group.objects.get(name="Case officers"))
    manager = StaffFactory(full_name="Mo Manager")
    manager.groups.add(Group.objects.get(name="Service managers"))
    page = journey.page

    _sign_in(journey, officer, "/admin/assisted-contacts/new/")
    assert journey.path() == "/admin/assisted-contacts/new/"
    journey.check()

    # Saving with nothing chosen explains what is missing.
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Save|Record", re.I)).first.click()
    assert page.get_by_text("Choose how the resident contacted the council").first.is_visible()

    page.get_by_label("Telephone").check()
    page.locator("select[name=service_code]").select_option("557")
    page.locator("select[name=reason_code]").select_option(label="Checking status")
    page.locator("input[name=avoidable][value=yes]").check()
    page.get_by_label("Progress chasing").check()
    page.locator("input[name=resolved_first_contact][value=yes]").check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Save|Record", re.I)).first.click()
    journey.check()
    assert page.get_by_text(re.compile("Contact recorded")).first.is_visible()

    contact = Interaction.objects.get(type="assisted_contact")
    assert (contact.channel, contact.service_code, contact.avoidable_category) == (
        "phone",
        557,
        "progress_chasing",
    )
    assert contact.staff_id == officer.pk

    # The scheduled job builds the rollups the dashboard reads.
    call_command("interactions_daily", "--no-purge", stdout=StringIO())

    page.context.clear_cookies()
    today = timezone.localdate().isoformat()
    _sign_in(journey, manager, f"/admin/contact-insights/?start={today}&end={today}&service=557")
    assert journey.path().startswith("/admin/contact-insights/")
    journey.check()
    text = page.locator("main").inner_text()
    assert "100.0% (1 of 1)" in text  # avoidable: 1 of 1 assisted contact
    assert "Progress chasing" in text
