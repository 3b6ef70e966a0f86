"""Support needs on cases: officers see and record them; nobody else sees them."""

import re

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import SupportNeeds
from accounts.services import support_needs_update
from portal.cases.constants import EventType
from portal.cases.models import CaseEvent, CaseSupportNeeds
from portal.cases.selectors import case_support_needs
from portal.cases.services import SupportNeedsError, case_support_needs_update
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make

pytestmark = pytest.mark.django_db

QUEUE = "/admin/cases/"
TAG = '<span class="case-support-tag">Support needs</span>'
SECRET = "Call her son on 07700 900123"


def case_url(case, suffix=""):
    return f"/admin/cases/{case.pk}/{suffix}"


def support_url(case):
    return case_url(case, "support-needs/")


@pytest.fixture
def waste():
    return team_make("Waste", "waste@council.example")


@pytest.fixture
def officer(waste):
    return officer_in(waste)


@pytest.fixture
def resident():
    user = UserFactory(full_name="Ada Resident")
    support_needs_update(user=user, needs=["interpreter", "large_print"], language="Polish", details=SECRET)
    return user


@pytest.fixture
def a_case(resident, waste):
    return case_make(resident=resident, team=waste)


def _queue_rows(response) -> dict[str, str]:
    """Each row of the queue by case reference."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", response.content.decode(), flags=re.S)
    found = {}
    for row in rows:
        match = re.search(r'<a href="/admin/cases/\d+/">([A-Z0-9-]+)</a>', row)
        if match:
            found[match.group(1)] = row
    return found


# Who sees them


def test_an_officer_in_the_team_sees_the_needs_and_the_marker(client, officer, a_case):
    client.force_login(officer)
    page = client.get(case_url(a_case)).content.decode()
    assert TAG in page
    assert "An interpreter (Polish)" in page
    assert "Large print, or letters in another format" in page
    assert SECRET in page
    assert "Recorded by the resident" in page
    assert "Kept with the resident's account" in page
    assert f'href="{support_url(a_case)}"' in page
    assert "Change support needs" in page


def test_a_case_without_needs_has_no_marker(client, officer, waste):
    plain = case_make(team=waste)
    client.force_login(officer)
    page = client.get(case_url(plain)).content.decode()
    assert TAG not in page
    assert "No extra support recorded for this resident" in page
    assert "Record support needs" in page


def test_a_service_manager_sees_them_too(client, a_case):
    client.force_login(staff_in("Service managers"))
    assert SECRET in client.get(case_url(a_case)).content.decode()


def test_an_officer_outside_the_team_sees_nothing(client, a_case):
    outsider = officer_in(team_make("Roads", "roads@council.example"))
    client.force_login(outsider)
    assert client.get(case_url(a_case)).status_code == 404
    assert client.get(support_url(a_case)).status_code == 404
    assert client.post(support_url(a_case), {"needs": ["bsl"]}).status_code == 404
    queue = client.get(QUEUE)
    assert a_case.reference not in queue.content.decode()
    with pytest.raises(SupportNeedsError):
        case_support_needs_update(case=a_case, actor=outsider, needs=["bsl"])
    assert SupportNeeds.objects.get(user=a_case.resident).needs == ["large_print", "interpreter"]


def test_an_editor_sees_nothing(client, a_case):
    client.force_login(staff_in("Editors"))
    for url in (case_url(a_case), support_url(a_case)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert SECRET.encode() not in response.content
    response = client.get(QUEUE)
    assert response.status_code in (302, 403)
    assert SECRET.encode() not in client.get("/admin/", follow=True).content
    assert client.post(support_url(a_case), {"needs": ["bsl"]}).status_code == 404


def test_another_resident_sees_nothing(client, a_case):
    other = UserFactory()
    client.force_login(other)
    assert client.get(reverse("cases:detail", kwargs={"reference": a_case.reference})).status_code == 404
    for url in (case_url(a_case), support_url(a_case)):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert SECRET.encode() not in response.content
    for url in (reverse("account_profile"), reverse("account_support_needs"), reverse("my_account")):
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET.encode() not in response.content
        assert b"An interpreter (Polish)" not in response.content


def test_the_resident_sees_their_own_on_their_profile_not_on_the_case(client, a_case, resident):
    client.force_login(resident)
    assert SECRET in client.get(reverse("account_profile")).content.decode()
    case_page = client.get(reverse("cases:detail", kwargs={"reference": a_case.reference}))
    assert case_page.status_code == 200
    assert SECRET.encode() not in case_page.content


# The queue


def test_the_queue_marks_and_filters_cases_with_support_needs(client, officer, waste, a_case):
    plain = case_make(team=waste)
    anonymous = case_make(team=waste, contact_email="someone@example.org", resident=None)
    case_support_needs_update(case=anonymous, actor=officer, needs=["phone_difficulty"])
    client.force_login(officer)

    rows = _queue_rows(client.get(QUEUE))
    assert set(rows) == {a_case.reference, plain.reference, anonymous.reference}
    assert TAG in rows[a_case.reference]
    assert TAG in rows[anonymous.reference]
    assert TAG not in rows[plain.reference]
    assert SECRET not in "".join(rows.values())  # the queue shows the marker, not the details

    response = client.get(QUEUE, {"support": "yes"})
    assert set(_queue_rows(response)) == {a_case.reference, anonymous.reference}
    assert '<option value="yes" selected>Needs extra support</option>' in response.content.decode()
    assert "2 cases" in response.content.decode()


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_queue_and_case_view_cost_the_same_queries_with_or_without_needs(client, officer, waste):
    client.force_login(officer)
    first = case_make(team=waste)
    flagged = case_make(team=waste, contact_email="first@example.org", resident=None)
    case_support_needs_update(case=flagged, actor=officer, needs=["bsl"])
    urls = [QUEUE, QUEUE + "?support=yes", QUEUE + "?support=yes&status=all&sort=newest"]
    few = [_queries(client, url) for url in urls]
    plain_case = _queries(client, case_url(first))
    for n in range(6):
        resident = UserFactory()
        support_needs_update(user=resident, needs=["reading"], details=f"Note {n}")
        case_make(resident=resident, team=waste)
        anonymous = case_make(team=waste, contact_email=f"anon{n}@example.org", resident=None)
        case_support_needs_update(case=anonymous, actor=officer, needs=["bsl"])
    assert [_queries(client, url) for url in urls] == few
    assert _queries(client, case_url(anonymous)) == plain_case


# Recording


def test_recording_on_a_resident_case_updates_their_profile_record(client, officer, a_case, resident):
    client.force_login(officer)
    form = client.get(support_url(a_case)).content.decode()
    assert 'value="interpreter"' in form and "Polish" in form  # starts from what is recorded
    assert "applies to all their requests" in form

    response = client.post(
        support_url(a_case), {"needs": ["phone_difficulty", "carer"], "language": "", "details": "Son helps"}
    )
    assert response.status_code == 302
    assert response["Location"] == case_url(a_case) + "#support-heading"
    record = SupportNeeds.objects.get(user=resident)
    assert record.needs == ["phone_difficulty", "carer"]
    assert record.details == "Son helps"
    assert record.recorded_by == officer
    note = CaseEvent.objects.filter(case=a_case, type=EventType.INTERNAL_NOTE).get()
    assert (note.public, note.message, note.actor) == (False, "Support needs recorded", officer)
    assert not CaseSupportNeeds.objects.exists()

    page = client.get(case_url(a_case)).content.decode()
    assert "Finds it hard to use the phone" in page
    assert f"Recorded by {escape(officer.full_name or officer.email)}" in page

    # The resident sees the officer's record on their profile, in their own words.
    client.force_login(resident)
    profile = client.get(reverse("account_profile")).content.decode()
    assert "I find it hard to use the phone" in profile
    assert "Son helps" in profile


def test_a_bad_answer_keeps_what_was_typed(client, officer, a_case):
    client.force_login(officer)
    response = client.post(
        support_url(a_case), {"needs": ["interpreter", "bsl"], "details": "Deaf, uses BSL"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Support needs" in page
    assert "Enter the language they need an interpreter for" in page
    assert 'href="#id_language"' in page
    assert "Deaf, uses BSL" in page
    assert re.search(r'value="bsl"[^>]*checked', page)
    assert SupportNeeds.objects.get(user=a_case.resident).details == SECRET  # unchanged


def test_an_anonymous_case_keeps_its_needs_on_the_case(client, officer, waste):
    case = case_make(team=waste, contact_email="someone@example.org", resident=None)
    client.force_login(officer)
    form = client.get(support_url(case)).content.decode()
    assert "kept with this request only" in form
    response = client.post(support_url(case), {"needs": ["interpreter"], "language": "Urdu", "details": ""})
    assert response.status_code == 302
    record = CaseSupportNeeds.objects.get(case=case)
    assert (record.needs, record.language, record.recorded_by) == (["interpreter"], "Urdu", officer)
    assert not SupportNeeds.objects.exists()

    page = client.get(case_url(case)).content.decode()
    assert TAG in page and "An interpreter (Urdu)" in page
    assert "Kept with this request only" in page

    # Clearing everything removes the record; the timeline says so without the details.
    client.post(support_url(case), {"needs": [], "language": "Urdu", "details": "  "})
    assert not CaseSupportNeeds.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case_support_needs(case) is None
    assert list(
        CaseEvent.objects.filter(case=case, type=EventType.INTERNAL_NOTE).values_list("message", flat=True)
    ) == ["Support needs recorded", "Support needs removed"]


def test_clearing_a_residents_needs_deletes_their_record(client, officer, a_case):
    client.force_login(officer)
    client.post(support_url(a_case), {"needs": [], "language": "", "details": ""})
    assert not SupportNeeds.objects.filter(user=a_case.resident).exists()
    assert TAG not in client.get(case_url(a_case)).content.decode()


def test_deleting_the_case_deletes_its_own_needs(officer, waste):
    case = case_make(team=waste, contact_email="someone@example.org", resident=None)
    case_support_needs_update(case=case, actor=officer, needs=["bsl"])
    case.delete()
    assert not CaseSupportNeeds.objects.exists()
