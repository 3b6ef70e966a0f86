"""Asking residents once per case "How satisfied are you with the outcome?", and staff recording
the answer given on the phone or face to face."""

import re

import pytest

from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from portal.cases.constants import EventType, SatisfactionState
from portal.cases.models import Case, CaseEvent
from portal.cases.services import (
    CaseError,
    case_reopen,
    case_satisfaction_answer,
    case_satisfaction_dismiss,
    case_staff_transition,
    case_transition,
)
from portal.interactions.models import Interaction, SatisfactionComment
from portal.lib import personal_data as registry
from tests.accounts.factories import StaffFactory, UserFactory
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make

pytestmark = pytest.mark.django_db

QUESTION = "How satisfied are you with the outcome?"


def detail_url(case):
    return reverse("cases:detail", kwargs={"reference": case.reference})


def rating_url(case):
    return reverse("cases:satisfaction", kwargs={"reference": case.reference})


def track_rating_url(case):
    return reverse("cases:track_satisfaction", kwargs={"token": case.tracking_token})


def answers():
    return Interaction.objects.filter(type="satisfaction")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def resident():
    return UserFactory()


@pytest.fixture
def resolved(resident):
    return case_make(resident=resident, status="resolved", service_code=524)


# --- The resident answers on the web ----------------------------------------------------------


def test_the_case_page_asks_once_the_case_is_resolved(client, resident, resolved):
    client.force_login(resident)
    page = client.get(detail_url(resolved)).text
    assert QUESTION in page
    assert f'action="{rating_url(resolved)}"' in page
    for label in (
        "Very satisfied",
        "Satisfied",
        "Neither satisfied nor dissatisfied",
        "Dissatisfied",
        "Very dissatisfied",
    ):
        assert f">{label}</label>" in page
    assert "No thanks" in page


@pytest.mark.parametrize("status", ["submitted", "in_progress", "awaiting_resident", "withdrawn"])
def test_no_question_without_an_outcome(client, resident, status):
    case = case_make(resident=resident, status=status)
    client.force_login(resident)
    assert QUESTION not in client.get(detail_url(case)).text
    response = client.get(rating_url(case))
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    client.post(rating_url(case), {"score": "5"})
    assert not answers().exists()


def test_a_rejected_case_is_asked_too(client, resident):
    case = case_make(resident=resident, status="rejected")
    client.force_login(resident)
    assert QUESTION in client.get(detail_url(case)).text


def test_an_answer_is_a_satisfaction_interaction_with_the_comment_kept_apart(web, resident, resolved):
    web.force_login(resident)
    response = web.post(rating_url(resolved), {"score": "4", "comment": "Quick, but the bin was left open."})
    assert response.status_code == 302 and response["Location"] == detail_url(resolved)

    answer = answers().get()
    assert (answer.channel, answer.service_code, answer.case_reference) == ("web", 524, resolved.reference)
    assert answer.extras == {"score": 4}
    assert answer.outcome == "4"
    assert answer.user_id == resident.pk and answer.staff_id is None
    comment = SatisfactionComment.objects.get()
    assert comment.interaction_id == answer.pk
    assert (comment.comment, comment.score, comment.user_id) == (
        "Quick, but the bin was left open.",
        4,
        resident.pk,
    )

    resolved.refresh_from_db()
    assert resolved.satisfaction_state == SatisfactionState.ANSWERED and resolved.satisfaction_at
    page = web.get(detail_url(resolved)).text
    assert "Thank you for telling us how satisfied you are with the outcome" in page
    assert QUESTION not in page


def test_a_blank_comment_stores_no_comment(client, resident, resolved):
    client.force_login(resident)
    client.post(rating_url(resolved), {"score": "5", "comment": "   "})
    assert answers().count() == 1
    assert not SatisfactionComment.objects.exists()


def test_a_double_submit_records_one_answer(client, resident, resolved):
    client.force_login(resident)
    client.post(rating_url(resolved), {"score": "5"})
    second = client.post(rating_url(resolved), {"score": "1"}, follow=True)
    assert answers().count() == 1
    assert answers().get().extras == {"score": 5}
    assert "You have already told us about the outcome of this request" in second.text


def test_two_stale_copies_of_the_case_record_once(resident, resolved):
    """The conditional UPDATE decides, not the copy of the case each request loaded."""
    first, second = Case.objects.get(pk=resolved.pk), Case.objects.get(pk=resolved.pk)
    assert case_satisfaction_answer(case=first, score=5) is True
    assert case_satisfaction_answer(case=second, score=2) is False
    assert case_satisfaction_dismiss(case=Case.objects.get(pk=resolved.pk)) is False
    assert answers().count() == 1
    assert Case.objects.get(pk=resolved.pk).satisfaction_state == SatisfactionState.ANSWERED


def test_a_second_visit_after_answering_is_not_asked_again(client, resident, resolved):
    client.force_login(resident)
    client.post(rating_url(resolved), {"score": "3"})
    assert QUESTION not in client.get(detail_url(resolved)).text
    again = client.get(rating_url(resolved))
    assert again.status_code == 302 and again["Location"] == detail_url(resolved)


def test_no_thanks_dismisses_the_question_for_good(client, resident, resolved):
    client.force_login(resident)
    response = client.post(rating_url(resolved), {"dismiss": "1", "comment": "ignored"}, follow=True)
    assert "We will not ask you about the outcome of this request again" in response.text
    resolved.refresh_from_db()
    assert resolved.satisfaction_state == SatisfactionState.DISMISSED
    assert QUESTION not in client.get(detail_url(resolved)).text
    client.post(rating_url(resolved), {"score": "5"})
    assert not answers().exists()
    assert not SatisfactionComment.objects.exists()


def test_a_missing_answer_is_explained_and_the_comment_kept(client, resident, resolved):
    client.force_login(resident)
    response = client.post(rating_url(resolved), {"comment": "Took three weeks"})
    assert response.status_code == 200
    page = response.text
    assert "<title>Error:" in page
    assert "There is a problem" in page
    assert '<a href="#id_score">Select how satisfied you are with the outcome</a>' in page
    assert 'id="id_score"' in page  # the summary's link lands on the first radio
    assert "Took three weeks</textarea>" in page
    assert not answers().exists()


def test_a_comment_that_is_too_long_is_refused_with_the_choice_kept(client, resident, resolved):
    client.force_login(resident)
    response = client.post(rating_url(resolved), {"score": "2", "comment": "x" * 1201})
    assert "Your comment must be 1200 characters or fewer" in response.text
    assert re.search(r'value="2" checked', response.text)
    assert not answers().exists()


def test_the_rating_page_works_on_its_own(client, resident, resolved):
    client.force_login(resident)
    page = client.get(rating_url(resolved)).text
    assert f'<h1 class="govuk-fieldset__heading">{QUESTION}</h1>' in page
    assert resolved.outcome.split()[0] in page  # the decision, in the officer's words


# --- Nobody else's case --------------------------------------------------------------------


def test_another_resident_gets_404_and_nothing_is_recorded(client, resolved):
    client.force_login(UserFactory())
    assert client.get(rating_url(resolved)).status_code == 404
    assert client.post(rating_url(resolved), {"score": "1"}).status_code == 404
    assert client.post(rating_url(resolved), {"dismiss": "1"}).status_code == 404
    assert not answers().exists()
    resolved.refresh_from_db()
    assert resolved.satisfaction_state == ""


def test_signed_out_visitors_are_sent_to_sign_in(client, resolved):
    response = client.get(rating_url(resolved))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_signed_in_residents_case_cannot_be_rated_through_a_tracking_link(client, resolved):
    assert client.get(track_rating_url(resolved)).status_code == 404
    assert client.post(track_rating_url(resolved), {"score": "1"}).status_code == 404
    assert not answers().exists()


# --- Anonymous requests: the tracking link ------------------------------------------------------


def test_an_anonymous_request_is_rated_under_its_tracking_link(client):
    case = case_make(contact_email="anon@example.com", status="resolved")
    track = reverse("cases:track", kwargs={"token": case.tracking_token})
    page = client.get(track).text
    assert QUESTION in page and f'action="{track_rating_url(case)}"' in page
    rating = client.get(track_rating_url(case))
    assert rating.status_code == 200 and rating["Referrer-Policy"] == "same-origin"
    response = client.post(track_rating_url(case), {"score": "2", "comment": "Still messy"})
    assert response.status_code == 302 and response["Location"] == track
    answer = answers().get()
    assert answer.user_id is None and answer.case_reference == case.reference
    assert SatisfactionComment.objects.get().user_id is None
    assert QUESTION not in client.get(track).text
    assert client.get(reverse("cases:track_satisfaction", kwargs={"token": "x" * 32})).status_code == 404


# --- The email about the decision ---------------------------------------------------------------


def _resolve(case, officer, message="Collected on Tuesday."):
    case_staff_transition(case=case, actor=officer, to="resolved", message=message)


def test_the_resolution_email_links_to_the_rating_page(commit, resident, settings):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="in_progress")
    mail.outbox.clear()
    with commit(execute=True):
        _resolve(case, officer)
    body = mail.outbox[-1].body
    assert QUESTION in body
    assert settings.SITE_URL + rating_url(case) in body


def test_the_rejection_email_of_an_anonymous_request_links_under_the_tracking_link(commit):
    team = team_make()
    officer = officer_in(team)
    case = case_make(contact_email="anon@example.com", team=team, status="in_progress")
    mail.outbox.clear()
    with commit(execute=True):
        case_staff_transition(case=case, actor=officer, to="rejected", message="Not our land.")
    assert track_rating_url(case) in mail.outbox[-1].body


def test_other_emails_do_not_ask(commit, resident):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="submitted")
    mail.outbox.clear()
    with commit(execute=True):
        case_staff_transition(case=case, actor=officer, to="in_progress")
    assert mail.outbox and QUESTION not in mail.outbox[-1].body


# --- Reopening: an answer is about one decision ---------------------------------------------------


def test_a_reopened_case_drops_its_old_answer_and_asks_again_at_the_new_outcome(web, commit, resident):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="resolved")
    case_satisfaction_answer(case=case, score=2)
    case_reopen(case=case, user=resident, reason="Still not collected")
    case.refresh_from_db()
    assert case.satisfaction_state == ""
    old = answers().get()
    assert old.outcome == "superseded" and old.extras == {"score": 2, "superseded": True}
    mail.outbox.clear()
    with commit(execute=True):
        _resolve(case, officer, "Collected now.")
    assert rating_url(case) in mail.outbox[-1].body
    web.force_login(resident)
    assert QUESTION in web.get(detail_url(case)).text
    assert case_satisfaction_answer(case=case, score=5)
    assert sorted(answers().values_list("outcome", flat=True)) == ["5", "superseded"]


def test_a_no_thanks_stands_when_the_case_is_reopened(web, commit, resident):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="resolved")
    case_satisfaction_dismiss(case=case)
    case_reopen(case=case, user=resident, reason="Still not collected")
    mail.outbox.clear()
    with commit(execute=True):
        _resolve(case, officer, "Collected now.")
    assert QUESTION not in mail.outbox[-1].body
    case.refresh_from_db()
    assert case.satisfaction_state == SatisfactionState.DISMISSED


def test_a_case_reopened_before_any_answer_is_asked_about_the_new_outcome(web, commit, resident):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="resolved")
    case_reopen(case=case, user=resident, reason="Still not collected")
    case.refresh_from_db()
    with pytest.raises(CaseError):  # an open case has no outcome to rate yet
        case_satisfaction_answer(case=case, score=5)
    mail.outbox.clear()
    with commit(execute=True):
        _resolve(case, officer, "Collected now.")
    assert rating_url(case) in mail.outbox[-1].body
    web.force_login(resident)
    assert QUESTION in web.get(detail_url(case)).text


def test_an_answer_page_left_open_while_the_case_was_reopened_records_nothing(client, resident, resolved):
    client.force_login(resident)
    case_transition(case=resolved, to="in_progress", actor_role="staff")
    response = client.post(rating_url(resolved), {"score": "5"}, follow=True)
    assert response.status_code == 200
    assert not answers().exists()


# --- Staff record the answer given on the phone or face to face --------------------------------


def _contact(**overrides):
    data = {
        "channel": "phone",
        "service_code": "524",
        "reason_code": "8",
        "avoidable": "no",
        "resolved_first_contact": "yes",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_an_officer_records_a_phone_answer_on_the_case(client, resident):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="resolved")
    client.force_login(officer)
    form = client.get(f"/admin/cases/{case.pk}/contact/").text
    assert "How satisfied is the resident with the outcome?" in form
    response = client.post(
        f"/admin/cases/{case.pk}/contact/",
        _contact(satisfaction="1", satisfaction_comment="Nobody called back"),
    )
    assert response.status_code == 302, response.text[:2000]
    answer = answers().get()
    assert (answer.channel, answer.service_code, answer.case_reference) == ("phone", 524, case.reference)
    assert answer.staff_id == officer.pk and answer.user_id == resident.pk
    assert answer.extras == {"score": 1}
    assert SatisfactionComment.objects.get().comment == "Nobody called back"
    case.refresh_from_db()
    assert case.satisfaction_state == SatisfactionState.ANSWERED
    event = CaseEvent.objects.get(case=case, type=EventType.ASSISTED_CONTACT)
    assert event.data["satisfaction"] == 1
    # Answered: the question is gone from the case's form, and from the resident's page.
    assert "How satisfied is the resident" not in client.get(f"/admin/cases/{case.pk}/contact/").text
    client.force_login(resident)
    assert QUESTION not in client.get(detail_url(case)).text


def test_the_case_form_leaves_the_question_out_while_the_case_is_open(client):
    team = team_make()
    officer = officer_in(team)
    case = case_make(team=team, status="in_progress")
    client.force_login(officer)
    assert "How satisfied is the resident" not in client.get(f"/admin/cases/{case.pk}/contact/").text
    client.post(f"/admin/cases/{case.pk}/contact/", _contact(satisfaction="5"))
    assert Interaction.objects.filter(type="assisted_contact").count() == 1
    assert not answers().exists()


def test_a_dismissed_online_question_can_still_be_answered_on_the_phone(client, resident, resolved):
    case_satisfaction_dismiss(case=resolved)
    officer = officer_in(team_make())
    resolved.team = officer.case_teams.first()
    resolved.save()
    client.force_login(officer)
    client.post(f"/admin/cases/{resolved.pk}/contact/", _contact(channel="face_to_face", satisfaction="4"))
    assert answers().get().channel == "face_to_face"
    resolved.refresh_from_db()
    assert resolved.satisfaction_state == SatisfactionState.ANSWERED


def test_the_general_contact_form_records_an_answer_with_its_channel(client):
    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name="Case officers"))
    client.force_login(officer)
    data = {
        **_contact(channel="face_to_face", service_code="557"),
        "resident_email": "",
        "case_reference": "",
    }
    response = client.post("/admin/assisted-contacts/new/", {**data, "satisfaction": "5"}, follow=True)
    assert "Their answer about the outcome was recorded" in response.text
    answer = answers().get()
    assert (answer.channel, answer.service_code, answer.staff_id) == ("face_to_face", 557, officer.pk)
    assert Interaction.objects.filter(type="assisted_contact").count() == 1


def test_the_general_contact_form_counts_a_case_once(client, resident, resolved):
    team = team_make()
    officer = officer_in(team)
    Case.objects.filter(pk=resolved.pk).update(team=team)
    client.force_login(officer)
    data = {**_contact(), "resident_email": "", "case_reference": resolved.reference, "satisfaction": "3"}
    client.post("/admin/assisted-contacts/new/", data)
    resolved.refresh_from_db()
    assert resolved.satisfaction_state == SatisfactionState.ANSWERED
    again = client.post("/admin/assisted-contacts/new/", data, follow=True)
    assert "not counted again" in again.text
    assert answers().count() == 1
    assert Interaction.objects.filter(type="assisted_contact").count() == 2


def test_the_general_contact_form_cannot_answer_for_another_teams_case(client, resident):
    waste = team_make("Waste", "waste@council.example")
    parking = team_make("Parking", "parking@council.example")
    theirs = case_make(resident=resident, team=waste, status="resolved")
    officer = officer_in(parking)
    client.force_login(officer)
    data = {**_contact(), "resident_email": "", "case_reference": theirs.reference, "satisfaction": "1"}
    response = client.post("/admin/assisted-contacts/new/", data)
    assert response.status_code == 200
    assert "Enter the reference of a case you can see in your case queue" in response.text
    # Nothing recorded, and the resident is still asked (they were told "You have already told us").
    assert not Interaction.objects.filter(type__in=["assisted_contact", "satisfaction"]).exists()
    theirs.refresh_from_db()
    assert theirs.satisfaction_state == ""
    client.force_login(resident)
    assert QUESTION in client.get(detail_url(theirs)).text


def test_the_services_refuse_an_answer_for_a_case_the_officer_cannot_see(resident):
    from portal.cases.services import case_satisfaction_record_assisted, satisfaction_record_for_contact

    theirs = case_make(resident=resident, team=team_make("Waste", "waste@council.example"), status="resolved")
    officer = officer_in(team_make("Parking", "parking@council.example"))
    with pytest.raises(CaseError):
        satisfaction_record_for_contact(
            staff=officer, channel="phone", service_code=524, score=1, case_reference=theirs.reference
        )
    with pytest.raises(CaseError):
        case_satisfaction_record_assisted(case=theirs, staff=officer, channel="phone", score=1)
    theirs.refresh_from_db()
    assert theirs.satisfaction_state == ""
    assert not answers().exists()


def test_a_comment_without_an_answer_is_refused(client):
    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name="Case officers"))
    client.force_login(officer)
    data = {**_contact(), "resident_email": "", "case_reference": "", "satisfaction_comment": "Happy"}
    response = client.post("/admin/assisted-contacts/new/", data)
    assert "Choose how satisfied the resident is with the outcome, or remove their comment" in response.text
    assert not Interaction.objects.filter(type__in=["assisted_contact", "satisfaction"]).exists()


def test_editing_a_contact_does_not_offer_the_question(client):
    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name="Case officers"))
    client.force_login(officer)
    client.post("/admin/assisted-contacts/new/", {**_contact(), "resident_email": "", "case_reference": ""})
    contact = Interaction.objects.get(type="assisted_contact")
    page = client.get(reverse("assisted_contacts:edit", args=[contact.pk])).text
    assert "How satisfied is the resident" not in page


# --- Personal data -------------------------------------------------------------------------------


def test_comments_are_exported_and_erased_with_the_account(resident, resolved):
    case_satisfaction_answer(case=resolved, score=1, comment="The officer was rude")
    part = next(p for p in registry.parts() if p.name == "satisfaction_comments")
    exported = part.exported(resident).data
    assert exported[0]["comment"] == "The officer was rude"
    assert exported[0]["how_satisfied"] == "Very dissatisfied"
    assert exported[0]["request"] == resolved.reference
    assert part.exported(UserFactory()).data == []
    part.erase(resident)
    assert not SatisfactionComment.objects.exists()
    assert answers().get().extras == {"score": 1}  # the score stays for the measures


def test_the_staff_case_view_shows_the_residents_answer(client, resident, resolved):
    case_satisfaction_answer(case=resolved, score=2, comment="The fence is still broken")
    client.force_login(staff_in("Service managers"))
    page = client.get(f"/admin/cases/{resolved.pk}/").text
    assert "Satisfaction with the outcome" in page
    assert "Dissatisfied (web)" in page and "The fence is still broken" in page


def test_the_staff_case_view_says_when_the_question_was_dismissed(client, resident, resolved):
    case_satisfaction_dismiss(case=resolved)
    client.force_login(staff_in("Service managers"))
    page = client.get(f"/admin/cases/{resolved.pk}/").text
    assert "Satisfaction with the outcome</dt><dd>Dismissed" in page
