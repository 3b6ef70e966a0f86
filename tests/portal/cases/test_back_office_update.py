"""A back-office system updates a case as an officer would, with no staff user: the same
rules, the resident told the same way, and staff told which system it was."""

from datetime import date

import pytest

from django.urls import reverse

from portal.cases.constants import Actor, CaseStatus, EventType
from portal.cases.models import CaseEvent
from portal.cases.services import CaseError, case_back_office_update
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db

HIGHWAYS = "Highways system"


def _new_events(case, before):
    return list(CaseEvent.objects.filter(case=case, pk__gt=before).order_by("pk"))


def _last_pk(case):
    return CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_status_change_with_a_message_is_one_public_event_and_one_notification():
    resident = UserFactory()
    case = case_make(resident=resident, status="submitted")
    before = _last_pk(case)
    events = case_back_office_update(
        case=case, source_label=HIGHWAYS, status=CaseStatus.IN_PROGRESS, public_message="A crew is booked."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert [e.pk for e in events] == [e.pk for e in _new_events(case, before)]
    (event,) = events
    assert event.type == EventType.STATUS_CHANGE and event.public
    assert event.actor is None and event.actor_role == Actor.STAFF
    assert event.message == "A crew is booked."
    assert event.data["back_office"] == HIGHWAYS
    sent = Notification.objects.filter(case=case, case_event=event)
    assert sent.count() == 1
    assert "A crew is booked." in sent.get().body_text
    assert case.has_unread


def test_the_same_status_only_sends_the_message_as_the_councils():
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    before = _last_pk(case)
    (event,) = case_back_office_update(
        case=case, source_label=HIGHWAYS, status=CaseStatus.IN_PROGRESS, public_message="Parts on order."
    )
    assert event.type == EventType.OFFICER_MESSAGE and event.public and event.actor is None
    assert event.data["back_office"] == HIGHWAYS
    assert len(_new_events(case, before)) == 1
    assert Notification.objects.filter(case_event=event).count() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_an_invalid_move_is_refused_in_the_cases_own_words_and_writes_nothing():
    case = case_make(status="resolved")
    before = _last_pk(case)
    with pytest.raises(CaseError, match="A case that is resolved cannot be moved to submitted"):
        case_back_office_update(
            case=case,
            source_label=HIGHWAYS,
            status=CaseStatus.SUBMITTED,
            public_message="Back to the start",
            internal_note="Oops",
            expected_on=date(2027, 1, 12),
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.expected_on is None
    assert _new_events(case, before) == []


def test_closing_needs_a_message_as_an_officer_would():
    case = case_make(status="in_progress")
    with pytest.raises(CaseError, match="Enter a message to the resident"):
        case_back_office_update(case=case, source_label=HIGHWAYS, status=CaseStatus.RESOLVED)


def test_a_note_and_an_expected_date_are_internal_and_the_date_is_kept_on_the_case():
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    seen_before = Notification.objects.count()
    note, dated = case_back_office_update(
        case=case, source_label=HIGHWAYS, internal_note="Job 4471 raised", expected_on=date(2027, 1, 12)
    )
    assert note.type == EventType.INTERNAL_NOTE and not note.public and note.message == "Job 4471 raised"
    assert dated.type == EventType.INTERNAL_NOTE and not dated.public
    assert dated.message == "Expected finish date set to 12 January 2027"
    assert dated.data == {"back_office": HIGHWAYS, "expected_on": "2027-01-12"}
    case.refresh_from_db()
    assert case.expected_on == date(2027, 1, 12)
    assert Notification.objects.count() == seen_before
    # The same date again writes nothing; a new one says what it was.
    assert case_back_office_update(case=case, source_label=HIGHWAYS, expected_on=date(2027, 1, 12)) == []
    (moved,) = case_back_office_update(case=case, source_label=HIGHWAYS, expected_on=date(2027, 2, 1))
    assert moved.message == "Expected finish date set to 1 February 2027 (was 12 January 2027)"


def test_a_source_label_is_required():
    case = case_make(status="in_progress")
    with pytest.raises(CaseError):
        case_back_office_update(case=case, source_label=" ", public_message="Hello")


def test_the_resident_sees_the_update_and_the_expected_date_on_their_case_page(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="submitted")
    case_back_office_update(
        case=case,
        source_label=HIGHWAYS,
        status=CaseStatus.IN_PROGRESS,
        public_message="A crew is booked for next week.",
        internal_note="Crew 7, job 4471",
        expected_on=date(2027, 1, 12),
    )
    client.force_login(resident)
    page = client.get(reverse("cases:detail", kwargs={"reference": case.reference})).text
    assert "A crew is booked for next week." in page
    assert "We expect to finish by 12 January 2027." in page
    assert "Crew 7, job 4471" not in page
    assert "back office" not in page


def test_staff_read_which_system_made_the_update_and_the_expected_date(client):
    team = team_make()
    officer = officer_in(team)
    case = case_make(team=team, status="submitted")
    case_back_office_update(
        case=case,
        source_label=HIGHWAYS,
        status=CaseStatus.IN_PROGRESS,
        public_message="A crew is booked.",
        internal_note="Crew 7",
        expected_on=date(2027, 1, 12),
    )
    client.force_login(officer)
    page = client.get(f"/admin/cases/{case.pk}/").text
    assert page.count("Highways system (back office)") == 3  # the change, the note and the date
    assert "Expected to finish" in page and "12 Jan 2027" in page
