"""Not an island, in the browser: an integration manager sends a form's submissions to a
back-office webhook and to a team's inbox, a resident reports a missed bin, the delivery log
shows both delivered, the back office sends a status update through the API, and the
resident reads it in My account. Every page is checked with axe (staff pages too)."""

import json
import urllib.request
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group

from forms_engine.models import Submission
from portal.integrations.models import Delivery, Destination
from tests.accounts.factories import StaffFactory, UserFactory
from tests.e2e.signin import sign_in
from tests.fakes.smtp_sink import smtp_sink  # noqa: F401 - the fixture
from tests.fakes.webhook_receiver import webhook_receiver  # noqa: F401 - the fixture
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    assert journey.path().startswith(next_path.split("?")[0]), journey.path()
    journey.check()


def _continue(journey):
    journey.click_and_check(journey.page.get_by_role("button", name="Continue", exact=True))


def _save(journey):
    journey.click_and_check(journey.page.locator("main").get_by_role("button", name="Add the destination"))


def test_a_submission_reaches_two_back_offices_and_a_status_update_comes_back(
    journey,
    webhook_receiver,  # noqa: F811
    smtp_sink,  # noqa: F811
):
    team = team_make("Waste", "waste-team@council.example")
    form = missed_bin_form(team=team, sign_in="optional")
    manager = StaffFactory(full_name="Ike Integrations")
    manager.groups.add(Group.objects.get(name="Integration managers"))
    resident = UserFactory(full_name="Rae Resident", email="rae@example.org")
    page = journey.page

    # The integration manager makes a key for the back office, then two destinations.
    _sign_in(journey, manager, "/admin/integrations/api-clients/")
    journey.click_and_check(page.locator("main").get_by_role("link", name="Add an API client"))
    page.get_by_label("Name", exact=False).fill("Waste system")
    page.get_by_label("Update cases (status API)").check()
    journey.click_and_check(page.locator("main").get_by_role("button", name="Add and show the key"))
    key = page.get_by_label("API key").input_value()
    assert key.startswith("cpk_")

    journey.goto("/admin/integrations/destinations/")
    journey.click_and_check(page.locator("main").get_by_role("link", name="Add a destination"))
    page.locator("#id_form").select_option(label=form.title)
    page.get_by_label("Name", exact=False).fill("Waste system webhook")
    page.get_by_label("How they are sent").select_option("webhook")
    page.get_by_label("Address (webhook or Open311)").fill(webhook_receiver.url)
    page.get_by_label("API client that sends status updates (optional)").select_option(label="Waste system")
    _save(journey)
    webhook = Destination.objects.get(kind="webhook")
    webhook_receiver.secret = webhook.secret

    journey.click_and_check(page.locator("main").get_by_role("link", name="Add a destination"))
    page.locator("#id_form").select_option(label=form.title)
    page.get_by_label("Name", exact=False).fill("Waste team inbox")
    page.get_by_label("How they are sent").select_option("email")
    page.get_by_label("Email: send to").fill("waste-team@council.example")
    _save(journey)
    assert Destination.objects.filter(form=form, active=True).count() == 2

    # A resident reports a missed bin.
    _sign_in(journey, resident, "/forms/missed-bin/")
    start = page.get_by_role("button", name="Start now")
    if start.count():
        journey.click_and_check(start)
    page.get_by_label("Recycling").check()
    _continue(journey)
    page.get_by_label("Address line 1").fill("4 Station Road")
    page.get_by_label("Town or city").fill("Anytown")
    page.get_by_label("Postcode").fill("SW1A 1AA")
    _continue(journey)
    day = date.today() - timedelta(days=1)
    fieldset = page.locator("fieldset", has_text="When should it have been collected")
    fieldset.get_by_label("Day").fill(str(day.day))
    fieldset.get_by_label("Month").fill(str(day.month))
    fieldset.get_by_label("Year").fill(str(day.year))
    _continue(journey)
    journey.click_and_check(page.get_by_role("button", name="Submit"))
    case = Submission.objects.get().case

    # Both back offices have it: the webhook (signed) and the team's email with the PDF.
    (received,) = webhook_receiver.received
    assert received.signature_ok and received.json["case"]["reference"] == case.reference
    assert received.json["answers"]["bin_type"] == "Recycling"
    team_mail = [m for m in smtp_sink.messages if "waste-team@council.example" in m.envelope_to]
    assert team_mail and any(name.endswith(".pdf") for name, _, _ in team_mail[0].attachments)

    # The manager reads the delivery log: both delivered.
    _sign_in(journey, manager, "/admin/integrations/deliveries/")
    log = page.locator("main").inner_text()
    assert case.reference in log and log.count("Delivered") >= 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}

    # The back office sends a status update with the key.
    request = urllib.request.Request(
        f"{journey.base_url}/api/back-office/v1/cases/{case.reference}/updates",
        data=json.dumps(
            {
                "update_id": "wst-1",
                "status": "in_progress",
                "public_message": "A crew will collect your recycling on Thursday.",
                "expected_date": (date.today() + timedelta(days=3)).isoformat(),
            }
        ).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.load(response)["outcome"] == "applied"

    # The resident sees it on their request in My account.
    _sign_in(journey, resident, f"/my-account/cases/{case.reference}/")
    main = page.locator("main").inner_text()
    assert "A crew will collect your recycling on Thursday." in main
    assert "We expect to finish by" in main
