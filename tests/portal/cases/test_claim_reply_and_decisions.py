"""As residents and officers see cases: claiming anonymous requests, replying from
the tracking link, a closed request's decision first with a way to reply, and what staff are told."""

import pytest

from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.constants import ContactPreference
from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import Case, CaseEvent
from portal.cases.services import (
    CaseError,
    case_claim,
    case_message_send_anonymous,
    case_reopen_anonymous,
    case_staff_transition,
    case_transition,
)
from portal.cases.views.cases import TRACK_MESSAGES_PER_HOUR
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db

CLAIM = reverse("cases:claim")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def track_url(case, suffix=""):
    return reverse(f"cases:track{suffix}", kwargs={"token": case.tracking_token})


def detail_url(case):
    return reverse("cases:detail", kwargs={"reference": case.reference})


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Claiming anonymous requests ----------------------------------------------------------------


def test_my_account_offers_the_anonymous_requests_made_with_a_verified_email(client):
    resident = UserFactory(email="sam@example.com")
    mine = case_make(contact_email="Sam@Example.com")  # stored lower-cased
    case_make(contact_email="other@example.com")
    client.force_login(resident)
    for url in (reverse("my_account"), reverse("cases:list")):
        assert "We found 1 request made with your email address" in client.get(url).text
    page = client.get(CLAIM)
    assert page.status_code == 200
    assert mine.reference in page.text
    # Looking is not confirming: nothing is attached until the resident posts.
    mine.refresh_from_db()
    assert mine.resident_id is None


def test_confirming_attaches_them_audited_and_the_tracking_link_stops_working(client):
    resident = UserFactory(email="sam@example.com")
    first = case_make(contact_email="sam@example.com")
    second = case_make(contact_email="sam@example.com")
    other = case_make(contact_email="other@example.com")
    client.force_login(resident)
    response = client.post(CLAIM, follow=True)
    assert "2 requests added to your account" in flashes(response) or "2 requests added" in response.text
    for case in (first, second):
        case.refresh_from_db()
        assert case.resident_id == resident.pk
        event = case.events.get(type=EventType.CLAIMED)
        assert event.actor_id == resident.pk and not event.public
        assert "sam@example.com" in event.message
        assert client.get(detail_url(case)).status_code == 200
        client.logout()
        assert client.get(track_url(case)).status_code == 404
        client.force_login(resident)
    other.refresh_from_db()
    assert other.resident_id is None
    assert "We found" not in client.get(reverse("my_account")).text


def test_an_unverified_email_never_claims_anything(client):
    resident = UserFactory(email="sam@example.com", verified=False)
    case = case_make(contact_email="sam@example.com")
    client.force_login(resident)
    assert "We found" not in client.get(reverse("my_account")).text
    client.post(CLAIM)
    assert case_claim(user=resident) == []
    case.refresh_from_db()
    assert case.resident_id is None


def test_a_claim_is_a_post_and_needs_a_sign_in(client):
    case_make(contact_email="sam@example.com")
    response = client.post(CLAIM)
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_residents_case_stays_a_404_after_a_claim(client):
    owner = UserFactory(email="sam@example.com")
    case = case_make(contact_email="sam@example.com")
    case_claim(user=owner)
    client.force_login(UserFactory())
    assert client.get(detail_url(case)).status_code == 404


# --- Replying from the tracking link --------------------------------------------------------------


def test_an_anonymous_requester_replies_on_the_tracking_page(client):
    team = team_make()
    case = case_make(contact_email="anon@example.com", team=team, status="awaiting_resident")
    page = client.get(track_url(case))
    assert f'action="{track_url(case, "_message")}"' in page.text
    # The token never leaves the site, yet the page's own forms send a real Origin (CSRF).
    assert page["Referrer-Policy"] == "same-origin" and page["X-Robots-Tag"] == "noindex, nofollow"
    response = client.post(track_url(case, "_message"), {"message": "Here is the photo you asked for"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS  # the reply restarts the work, as for a signed-in resident
    event = case.events.get(type=EventType.RESIDENT_MESSAGE)
    assert event.message == "Here is the photo you asked for" and event.actor_id is None
    assert event.actor_role == "resident"


def test_an_empty_message_is_a_govuk_error_and_what_was_typed_is_kept(client):
    case = case_make(contact_email="anon@example.com")
    response = client.post(track_url(case, "_message"), {"message": "   "})
    assert response.status_code == 200
    assert "There is a problem" in response.text and "Enter your message" in response.text
    long = "x" * 5001
    response = client.post(track_url(case, "_message"), {"message": long})
    assert "5000 characters or fewer" in response.text and long in response.text


def test_tracking_messages_are_rate_limited(client):
    case = case_make(contact_email="anon@example.com")
    for n in range(TRACK_MESSAGES_PER_HOUR):
        assert client.post(track_url(case, "_message"), {"message": f"Message {n}"}).status_code == 302
    response = client.post(track_url(case, "_message"), {"message": "One too many"})
    assert response.status_code == 200
    assert "too many messages" in response.text and "One too many" in response.text
    assert case.events.filter(type=EventType.RESIDENT_MESSAGE).count() == TRACK_MESSAGES_PER_HOUR


def test_a_wrong_token_or_a_signed_in_residents_case_is_a_404(client):
    owned = case_make(resident=UserFactory())
    assert client.post(track_url(owned, "_message"), {"message": "Hi"}).status_code == 404
    assert client.post("/track/not-a-real-token-at-all-123/message/", {"message": "Hi"}).status_code == 404
    anon = case_make(contact_email="anon@example.com")
    with pytest.raises(CaseError):
        case_message_send_anonymous(case=anon, token="x" * 32, message="Hi")
    with pytest.raises(CaseError):
        case_message_send_anonymous(case=owned, token=owned.tracking_token, message="Hi")


# --- A closed request: the decision first, then a way to reply -----------------------------------


def test_a_rejected_request_leads_with_the_decision_and_offers_a_review(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="rejected")
    Case.objects.filter(pk=case.pk).update(outcome="This road is not council maintained.")
    client.force_login(resident)
    text = client.get(detail_url(case)).text
    decision = text.index("We closed your request without taking action")
    assert decision < text.index("This road is not council maintained.")
    assert text.index("This road is not council maintained.") < text.index("How satisfied are you")
    assert "Ask for a review" in text
    assert text.index("Ask for a review") < text.index("How satisfied are you")


def test_asking_for_a_review_reopens_a_rejected_request(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="rejected")
    client.force_login(resident)
    response = client.post(reverse("cases:reopen", kwargs={"reference": case.reference}), {"reason": ""})
    assert "Enter why you are asking for a review" in response.text
    response = client.post(
        reverse("cases:reopen", kwargs={"reference": case.reference}),
        {"reason": "It is council maintained: see the map"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    event = case.events.filter(type=EventType.STATUS_CHANGE).last()
    assert event.is_review_request and event.message == "It is council maintained: see the map"
    assert "Review asked for" in client.get(detail_url(case)).text


def test_no_review_after_the_reopen_window(client, settings):
    settings.CASE_REOPEN_DAYS = 28
    resident = UserFactory()
    case = case_make(resident=resident, status="rejected")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timezone.timedelta(days=29))
    client.force_login(resident)
    assert "Ask for a review" not in client.get(detail_url(case)).text
    client.post(reverse("cases:reopen", kwargs={"reference": case.reference}), {"reason": "Please"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED


def test_an_anonymous_requester_asks_for_a_review_from_the_tracking_page(client):
    case = case_make(contact_email="anon@example.com", status="rejected")
    assert "Ask for a review" in client.get(track_url(case)).text
    response = client.post(track_url(case, "_reopen"), {"reason": "You have the wrong street"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(CaseError):
        case_reopen_anonymous(case=case, token="y" * 32, reason="again")


def test_another_resident_cannot_reopen_or_see_the_case(client):
    case = case_make(resident=UserFactory(), status="rejected")
    client.force_login(UserFactory())
    assert client.get(detail_url(case)).status_code == 404
    assert (
        client.post(
            reverse("cases:reopen", kwargs={"reference": case.reference}), {"reason": "x"}
        ).status_code
        == 404
    )


# --- Smaller ones ------------------------------------------------------------------------------------


def test_the_case_page_names_the_channel_in_words(client):
    resident = UserFactory()
    case = case_make(resident=resident, channel="face_to_face")
    client.force_login(resident)
    text = client.get(detail_url(case)).text
    assert "face_to_face" not in text
    if "not available online" in text:
        assert "because it was made face to face" in text


def test_a_refused_move_speaks_each_readers_status_words():
    case = case_make(status="submitted")
    with pytest.raises(CaseError) as staff_error:
        case_transition(case=case, to="awaiting_resident", actor_role="staff", message="x")
    assert "submitted" in str(staff_error.value) and "received" not in str(staff_error.value)
    with pytest.raises(CaseError) as resident_error:
        case_transition(case=case, to="in_progress", actor_role="resident")
    assert "received" in str(resident_error.value) and "submitted" not in str(resident_error.value)


def test_staff_are_told_a_message_went_by_post_when_the_resident_prefers_post(client):
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory(
        contact_preference=ContactPreference.POST, address_line_1="1 High Street", postcode="BW1 1AA"
    )
    case = case_make(resident=resident, team=team, status="in_progress")
    client.force_login(officer)
    response = client.post(
        f"/admin/cases/{case.pk}/", {"action": "message", "message": "Crew booked"}, follow=True
    )
    said = " ".join(flashes(response))
    assert "The resident has been sent a letter." in said
    assert "has been emailed" not in said
    assert "Letter to " in response.text


def test_staff_are_told_when_a_message_was_emailed(client):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=UserFactory(), team=team, status="in_progress")
    client.force_login(officer)
    response = client.post(
        f"/admin/cases/{case.pk}/", {"action": "message", "message": "Crew booked"}, follow=True
    )
    assert "Message added to the resident&#x27;s timeline. The resident has been emailed." in response.text


def test_an_account_deleted_resident_is_not_said_to_be_emailed(client):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=UserFactory(), team=team, status="in_progress")
    Case.objects.filter(pk=case.pk).update(resident=None, contact_email="")
    case.refresh_from_db()
    client.force_login(officer)
    response = client.post(
        f"/admin/cases/{case.pk}/", {"action": "message", "message": "Crew booked"}, follow=True
    )
    assert "Not sent: no email address, phone number or postal address that works." in response.text
    assert "has been emailed" not in response.text


def test_a_paid_status_change_sends_no_case_update_email():
    case = case_make(contact_email="anon@example.com", status="awaiting_payment")
    mail.outbox.clear()
    event = case_transition(case=case, to="submitted", actor_role="system")
    assert not CaseEvent.objects.get(pk=event.pk).notifications.exists()
    assert "notify" not in CaseEvent.objects.get(pk=event.pk).data


def test_only_the_resident_takes_a_rejection_back_to_work():
    team = team_make()
    officer = officer_in(team)
    case = case_make(team=team, status="rejected")
    with pytest.raises(CaseError):
        case_staff_transition(case=case, actor=officer, to="in_progress")
