"""Staff access to resident records: what the resident reads on their security page, the
auditors' report (who may open it, its filters and CSV), and the resident's data export
and account deletion."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import IdentityCheck, StaffAccessAction
from accounts.models import StaffAccess
from accounts.services import account_delete, staff_access_contact_link, staff_access_record
from portal.interactions.constants import AvoidableCategory, Channel
from portal.interactions.services import assisted_contact_record
from portal.lib import personal_data
from tests.accounts.factories import StaffFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db

REPORT_URL = "/admin/reports/resident-record-access/"
# 3 March 2026 at 10:05am in London (GMT, so 10:05 UTC).
CALL_START = datetime(2026, 3, 3, 10, 5, tzinfo=UTC)
SENTENCE = "On 3 March 2026 at 10:05am, council staff looked at your record while helping you by phone"


@pytest.fixture
def resident():
    return UserFactory(full_name="Pat Lee", email="pat.lee@example.org")


@pytest.fixture
def other_resident():
    return UserFactory(full_name="Chris Other", email="chris.other@example.org")


@pytest.fixture
def agent():
    return staff_in("Contact centre", full_name="Sam Agent")


@pytest.fixture
def other_agent():
    return staff_in("Contact centre", full_name="Olu Desk")


def entry(staff, resident, action, *, at, call=None, detail="", channel=Channel.PHONE) -> StaffAccess:
    access = staff_access_record(
        staff=staff,
        resident=resident,
        action=action,
        channel=channel,
        identity=IdentityCheck.REFERENCE_AND_POSTCODE,
        call=call,
        detail=detail,
    )
    StaffAccess.objects.filter(pk=access.pk).update(at=at)
    access.refresh_from_db()
    return access


@pytest.fixture
def pats_call(agent, resident):
    """Sam Agent takes Pat's call: opens the record, starts a form, sends it; the call is closed
    and recorded as an avoidable "failed online" contact about household waste."""
    call = uuid.uuid4()
    entry(agent, resident, StaffAccessAction.RECORD_OPENED, at=CALL_START, call=call)
    entry(
        agent,
        resident,
        StaffAccessAction.FORM_STARTED,
        at=CALL_START + timedelta(minutes=2),
        call=call,
        detail="Report a missed bin",
    )
    entry(
        agent,
        resident,
        StaffAccessAction.SUBMITTED,
        at=CALL_START + timedelta(minutes=7),
        call=call,
        detail="BWC-2026-000123",
    )
    contact = assisted_contact_record(
        staff=agent,
        channel=Channel.PHONE,
        service_code=524,
        reason_code="8",
        avoidable=True,
        avoidable_category=AvoidableCategory.FAILED_ONLINE,
        resolved_first_contact=True,
        resident=resident,
    )
    staff_access_contact_link(call=call, contact_id=contact.pk)
    return call


@pytest.fixture
def chris_call(other_agent, other_resident):
    """Olu Desk helps Chris at the desk (June 2026); the call is still open."""
    call = uuid.uuid4()
    at = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
    entry(
        other_agent, other_resident, StaffAccessAction.RECORD_OPENED, at=at, call=call, channel="face_to_face"
    )
    entry(
        other_agent,
        other_resident,
        StaffAccessAction.PAYMENT_LINK_SENT,
        at=at + timedelta(minutes=3),
        call=call,
        detail="CHRIS-SECRET-REF",
        channel="face_to_face",
    )
    return call


# --- The resident's security page -----------------------------------------------------------


def test_the_security_page_says_who_looked_and_what_they_did_in_plain_words(
    client, resident, pats_call, chris_call
):
    client.force_login(resident)

    page = client.get(reverse("account_security")).content.decode()

    assert "When council staff looked at your record" in page
    assert SENTENCE in page
    assert "Started a form for you: Report a missed bin" in page
    assert "Sent a request for you: BWC-2026-000123" in page
    assert page.count(SENTENCE) == 1  # one line for the call, not one per entry
    assert "Sam Agent" not in page  # staff names are for auditors
    # another resident's entries never show
    assert "Olu Desk" not in page and "CHRIS-SECRET-REF" not in page


def test_the_other_resident_sees_only_their_own(client, other_resident, pats_call, chris_call):
    client.force_login(other_resident)

    page = client.get(reverse("account_security")).content.decode()

    assert (
        "On 1 June 2026 at 3:30pm, council staff looked at your record while helping you face to face" in page
    )
    assert "Sent you a link to pay: CHRIS-SECRET-REF" in page
    assert "Sam Agent" not in page and "BWC-2026-000123" not in page


def test_the_page_shows_the_last_12_months(client, resident, agent):
    entry(agent, resident, StaffAccessAction.RECORD_OPENED, at=timezone.now() - timedelta(days=400))
    client.force_login(resident)

    page = client.get(reverse("account_security")).content.decode()

    assert "Sam Agent" not in page
    assert "Nobody at the council has looked at your record in the last 12 months." in page
    assert "This shows the last 12 months" in page


# --- The auditors' report -------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor():
    return staff_in("Auditors", full_name="Aud Auditor")


def rows(response) -> list[str]:
    """The report's table rows as text, one string per row."""
    html = response.content.decode()
    listing = html.split('class="listing', 1)[1] if 'class="listing' in html else ""
    body = (
        listing.split("<tbody", 1)[1].split(">", 1)[1].split("</tbody>", 1)[0] if "<tbody" in listing else ""
    )
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


def test_auditors_and_superusers_see_every_entry_with_its_reason(auditor, pats_call, chris_call):
    superuser = StaffFactory(is_superuser=True)
    for user in (auditor, superuser):
        response = signed_in(user).get(REPORT_URL)
        assert response.status_code == 200
        found = rows(response)
        assert len(found) == 5
        # newest first: Chris's open call, then Pat's closed one
        assert found[0].startswith("1 Jun 2026 at 3:33pm Olu Desk Chris Other Sent you a link to pay")
        assert "Face to face" in found[0] and "Call not closed yet" in found[0]
        assert found[2].startswith(
            "3 Mar 2026 at 10:12am Sam Agent Pat Lee Sent a request for you: BWC-2026-000123"
        )
        assert "A case or bill reference and the postcode" in found[2]
        assert "Telephone; Household waste - collection; avoidable (Tried online and failed)" in found[2]


def test_the_report_is_in_the_reports_menu_for_auditors_only(auditor, agent):
    assert REPORT_URL.encode() in signed_in(auditor).get("/admin/").content
    assert REPORT_URL.encode() not in signed_in(agent).get("/admin/").content


@pytest.mark.parametrize("group", ["Contact centre", "Case officers", "Editors", "Service managers"])
def test_other_staff_are_refused(group, pats_call):
    client = signed_in(staff_in(group))
    for url in (REPORT_URL, REPORT_URL + "?export=csv", "/admin/reports/resident-record-access/results/"):
        response = client.get(url)
        # Wagtail's refusal: back to the dashboard, told they may not, shown nothing
        assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_residents_and_anonymous_are_refused(client, resident, pats_call):
    response = client.get(REPORT_URL)
    assert response.status_code == 302 and "login" in response["Location"]
    response = signed_in(resident).get(REPORT_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_filters(auditor, agent, other_agent, pats_call, chris_call):
    client = signed_in(auditor)

    def texts(query: str) -> list[str]:
        response = client.get(REPORT_URL + query)
        assert response.status_code == 200
        return rows(response)

    assert all("Olu Desk" in row for row in texts(f"?staff={other_agent.pk}"))
    assert len(texts(f"?staff={other_agent.pk}")) == 2
    assert len(texts("?resident=pat.lee@")) == 3
    assert len(texts("?resident=chris")) == 2
    assert [row.split(" Pat Lee ")[1][:24] for row in texts("?action=submitted")] == [
        "Sent a request for you: "
    ]
    assert len(texts("?at_from=2026-06-01&at_to=2026-06-30")) == 2
    assert len(texts("?at_from=2026-03-03&at_to=2026-03-03")) == 3
    assert rows(client.get(REPORT_URL + "?resident=nobody-like-this")) == []


def test_csv_export(auditor, pats_call, chris_call, resident):
    response = signed_in(auditor).get(REPORT_URL + "?resident=pat&export=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["Action"] for row in table] == [
        "Sent a request for you: BWC-2026-000123",
        "Started a form for you: Report a missed bin",
        "Looked at your record",
    ]
    assert table[2]["When"] == "2026-03-03 10:05:00"
    assert {row["Resident"] for row in table} == {"Pat Lee"}
    assert {row["Resident's email"] for row in table} == {"pat.lee@example.org"}
    assert {row["Resident key"] for row in table} == {resident.person_key}
    assert {row["Staff member"] for row in table} == {"Sam Agent"}


# --- Personal data: export and deletion -------------------------------------------------------


def staff_access_part():
    return next(part for part in personal_data.parts() if part.name == "staff_access")


def test_the_data_export_has_the_residents_own_entries(resident, pats_call, chris_call):
    data = staff_access_part().exported(resident).data

    assert [(row["staff_member"], row["what"], row["details"]) for row in data] == [
        ("Sam Agent", "Looked at your record", ""),
        ("Sam Agent", "Started a form for you", "Report a missed bin"),
        ("Sam Agent", "Sent a request for you", "BWC-2026-000123"),
    ]
    assert data[0]["when"] == CALL_START
    assert data[0]["how_you_contacted_us"] == "Telephone"
    assert data[0]["how_staff_checked_who_you_are"] == "A case or bill reference and the postcode"


def test_deleting_the_account_keeps_the_entries_without_the_resident(resident, pats_call):
    key = resident.person_key

    account_delete(user=resident)

    kept = StaffAccess.objects.filter(call=pats_call)
    assert kept.count() == 3
    assert set(kept.values_list("resident", "resident_key", "staff_name")) == {(None, key, "Sam Agent")}
    assert "kept for" in staff_access_part().sentence("kept")


def test_kept_entries_are_purged_after_the_retention_period(resident, other_resident, pats_call, chris_call):
    account_delete(user=resident)

    purged = staff_access_part().purge(datetime(2026, 4, 1, tzinfo=UTC))

    assert purged == 3  # Pat's, kept without an account, before the cutoff
    assert StaffAccess.objects.filter(resident=other_resident).count() == 2  # an account's own stay
