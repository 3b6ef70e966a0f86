"""Residents going through forms in the test client: start, steps, check answers, send."""

from datetime import timedelta

import pytest

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from forms_engine.engine import CONTACT_FIELD
from forms_engine.models import Draft, Submission
from forms_engine.selectors import draft_list_for_user
from portal.cases.models import Case
from portal.interactions.models import Interaction
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import (
    bulky_waste_form,
    form_build,
    missed_bin_form,
    question,
    step,
)
from tests.forms_engine.helpers import (
    address,
    bulky_answers,
    check_url,
    date_parts,
    done_url,
    form_start,
    missed_bin_answers,
    step_url,
)

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def test_an_anonymous_resident_reports_a_missed_bin(web):
    missed_bin_form()
    start = web.get("/forms/missed-bin/")
    assert start.status_code == 200
    assert "Start now" in _html(start)
    draft = form_start(web, "missed-bin")

    # Garden waste shows the permit step; changing the answer hides it again and drops its answer.
    response = web.post(step_url(draft, 1), {"bin_type": "Garden waste"})
    assert response["Location"] == step_url(draft, 2)
    response = web.post(step_url(draft, 2), {"permit_number": "GW-123"})
    assert response["Location"] == step_url(draft, 3)
    response = web.post(step_url(draft, 1, change=True), {"bin_type": "General waste", "change": "1"})
    assert response["Location"] == step_url(draft, 3)  # the next unanswered step, not check answers
    draft.refresh_from_db()
    assert "permit_number" not in draft.answers
    assert web.get(step_url(draft, 2))["Location"].endswith(f"/{draft.pk}/")  # hidden step: back on track

    for number, data in enumerate(missed_bin_answers()[1:], start=3):
        response = web.post(step_url(draft, number), data)
        assert response.status_code == 302, _html(response)
    # No email question on the form, nobody signed in: the engine asks for one.
    assert response["Location"] == step_url(draft, 5)
    page = web.get(step_url(draft, 5))
    assert "Your email address" in _html(page)
    response = web.post(step_url(draft, 5), {CONTACT_FIELD: "jo@example.org"})
    assert response["Location"] == check_url(draft)

    check = web.get(check_url(draft))
    html = _html(check)
    assert "Check your answers" in html and "General waste" in html and "SW1A 1AA" in html
    assert "jo@example.org" in html and "GW-123" not in html

    mail.outbox.clear()
    response = web.post(check_url(draft))
    submission = Submission.objects.get()
    assert response["Location"] == done_url(submission)
    assert submission.user is None and submission.contact_email == "jo@example.org"
    assert "permit_number" not in submission.answers
    case = submission.case
    assert case.reference.startswith("MBC-") and case.status == "submitted"
    assert case.contact_email == "jo@example.org"

    done = web.get(done_url(submission))
    assert case.reference in _html(done) and "What happens next" in _html(done)
    # One email: the reference, and the private link to follow the request without an account.
    assert [m.to for m in mail.outbox] == [["jo@example.org"]]
    assert case.reference in mail.outbox[0].body
    assert reverse("cases:track", kwargs={"token": case.tracking_token}) in mail.outbox[0].body

    events = list(Interaction.objects.filter(journey="missed-bin").values_list("type", flat=True))
    assert events.count("form_start") == 1 and events.count("form_submit") == 1
    assert events.count("form_step") == 6  # 5 steps, one answered twice
    steps = Interaction.objects.filter(type="form_step").order_by("pk")
    assert [i.extras["order"] for i in steps] == [1, 2, 1, 3, 4, 5]


def test_errors_keep_what_was_typed_and_are_recorded(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    response = web.post(step_url(draft, 3), address("address", postcode="not a postcode"))
    html = _html(response)
    assert response.status_code == 200
    assert "<title>Error:" in html
    assert 'class="govuk-error-summary"' in html
    assert 'href="#id_address-postcode"' in html
    assert 'value="1 High Street"' in html and 'value="not a postcode"' in html
    assert 'aria-describedby="id_address-postcode_error"' in html
    error = Interaction.objects.get(type="form_error")
    assert error.extras["fields"] == ["address"] and error.extras["order"] == 3
    draft.refresh_from_db()
    assert "address" not in draft.answers


def test_change_links_return_to_check_answers(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    for number, data in zip(
        [1, 3, 4, 5], [*missed_bin_answers(), {CONTACT_FIELD: "a@example.org"}], strict=True
    ):
        web.post(step_url(draft, number), data)
    check = _html(web.get(check_url(draft)))
    assert step_url(draft, 3, change=True).replace("?", "?") in check
    page = _html(web.get(step_url(draft, 3, change=True)))
    assert f'href="{check_url(draft)}" class="govuk-back-link"' in page
    response = web.post(step_url(draft, 3), {**address("address", "EC1A 1BB"), "change": "1"})
    assert response["Location"] == check_url(draft)
    assert "EC1A 1BB" in _html(web.get(check_url(draft)))


def test_signed_in_residents_get_their_profile_prefilled_and_can_save_for_later(web):
    user = UserFactory(phone="07700900982", address_line_1="2 Mill Lane", town="Anytown", postcode="SW1A 1AA")
    bulky_waste_form(fee=False)
    web.force_login(user)
    start = _html(web.get("/forms/bulky-waste/"))
    assert "Start now" in start
    draft = form_start(web, "bulky-waste")
    assert draft.user == user
    first, second, third = bulky_answers()
    web.post(step_url(draft, 1), first)
    web.post(step_url(draft, 2), second)
    page = _html(web.get(step_url(draft, 3)))
    assert 'value="2 Mill Lane"' in page and 'value="07700 900982"' in page

    response = web.post(
        step_url(draft, 3), {**date_parts("collection_date", timezone.localdate()), "action": "save"}
    )
    assert response.status_code == 200  # today is too soon: even a save will not keep a wrong date
    response = web.post(step_url(draft, 3), {"address-line_1": "9 Elm Road", "action": "save"})
    assert response.status_code == 200 and "Enter town or city" in _html(response)
    response = web.post(step_url(draft, 3), {"phone": "01632 960 001", "action": "save"})
    assert response["Location"] == reverse(
        "forms_engine:saved", kwargs={"slug": "bulky-waste", "draft": draft.pk}
    )
    saved = _html(web.get(response["Location"]))
    assert "Your answers have been saved" in saved and "My account" in saved
    assert Interaction.objects.filter(type="form_save").count() == 1

    (summary,) = draft_list_for_user(user)
    assert summary.title == "Book a bulky waste collection"
    assert summary.resume_url == f"/forms/bulky-waste/{draft.pk}/"
    assert web.get(summary.resume_url)["Location"] == step_url(draft, 3)
    start = _html(web.get("/forms/bulky-waste/"))
    assert "Continue with your saved answers" in start
    response = web.post("/forms/bulky-waste/", {"action": "continue"})
    assert response["Location"] == summary.resume_url

    response = web.post(step_url(draft, 3), third)
    assert response["Location"] == check_url(draft)
    mail.outbox.clear()
    response = web.post(check_url(draft))
    submission = Submission.objects.get()
    assert response["Location"] == done_url(submission)
    assert submission.user == user and submission.contact_email == user.email
    assert submission.case.resident == user and submission.case.reference.startswith("BWC-")
    # Exactly one confirmation, with the reference and the case page in My account.
    (message,) = mail.outbox
    assert message.to == [user.email] and submission.case.reference in message.body
    assert reverse("cases:detail", kwargs={"reference": submission.case.reference}) in message.body
    assert draft_list_for_user(user) == []


def test_a_form_that_needs_sign_in_sends_people_to_sign_in_and_back():
    from django.test import Client

    client = Client()
    bulky_waste_form()
    page = client.get("/forms/bulky-waste/")
    assert "Sign in to continue" in _html(page)
    assert "/accounts/login/?next=%2Fforms%2Fbulky-waste%2F" in _html(page)
    response = client.post("/forms/bulky-waste/", {"action": "start"})
    assert response["Location"] == "/accounts/login/?next=%2Fforms%2Fbulky-waste%2F"
    assert not Draft.objects.exists()


def test_signing_in_partway_keeps_the_answers(web):
    missed_bin_form(sign_in="optional")
    page = _html(web.get("/forms/missed-bin/"))
    assert "Sign in to save your answers" in page and "Continue without signing in" in page
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    user = UserFactory()
    web.force_login(user)
    response = web.get(step_url(draft, 3))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.user == user and draft.answers == {"bin_type": "Recycling"}
    assert [d.draft for d in draft_list_for_user(user)] == [draft]


def test_an_anonymous_resident_saves_by_email_and_comes_back_on_another_device(web, client):
    from django.test import Client

    missed_bin_form()
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    response = web.post(step_url(draft, 3), {**address("address"), "action": "save"})
    saved_url = reverse("forms_engine:saved", kwargs={"slug": "missed-bin", "draft": draft.pk})
    assert response["Location"] == saved_url
    page = web.get(saved_url)
    assert "Get a link to come back to your answers" in _html(page)
    bad = web.post(saved_url, {"email": "nope"})
    assert "Enter an email address in the correct format" in _html(bad)
    mail.outbox.clear()
    sent = web.post(saved_url, {"email": "jo@example.org"})
    assert "Check your email" in _html(sent)
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/forms/resume/" in line).strip()
    token = link.rsplit("/resume/", 1)[1].strip("/")
    draft.refresh_from_db()
    assert (
        draft.resume_token_hash
        and token not in draft.resume_token_hash
        and len(draft.resume_token_hash) == 64
    )

    other = Client()
    assert other.get(step_url(draft, 3)).status_code == 404
    response = other.get(f"/forms/resume/{token}/")
    assert response["Location"] == f"/forms/missed-bin/{draft.pk}/"
    assert other.get(response["Location"])["Location"] == step_url(draft, 3)
    assert 'value="1 High Street"' in _html(other.get(step_url(draft, 3)))

    assert Client().get("/forms/resume/not-a-real-token/").status_code == 404
    for _ in range(2):
        assert "Check your email" in _html(web.post(saved_url, {"email": "jo@example.org"}))
    too_many = web.post(saved_url, {"email": "someone.else@example.org"})
    assert "asked for several links already" in _html(too_many) and len(mail.outbox) == 3
    Draft.objects.filter(pk=draft.pk).update(resume_expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(f"/forms/resume/{token}/").status_code == 404


def test_an_anonymous_resident_can_get_the_link_by_text_instead(
    web, fake_notify, django_capture_on_commit_callbacks
):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    web.post(step_url(draft, 3), {**address("address"), "action": "save"})
    saved_url = reverse("forms_engine:saved", kwargs={"slug": "missed-bin", "draft": draft.pk})
    empty = _html(web.post(saved_url, {"send_by": "sms", "email": "typed@example.org", "phone": ""}))
    assert "Enter a mobile phone number to get the link by text" in empty
    assert 'value="typed@example.org"' in empty  # what was typed is kept
    landline = _html(web.post(saved_url, {"send_by": "sms", "phone": "01632 960 123"}))
    assert "Enter a UK mobile number, like 07700 900 982, or choose email" in landline
    assert 'value="01632 960 123"' in landline  # what was typed is kept
    with django_capture_on_commit_callbacks(execute=True):
        # Enter in the mobile field submits the form's first button (email): the number is used.
        sent = _html(web.post(saved_url, {"send_by": "email", "email": "", "phone": "07700 900123"}))
    assert "Check your text messages" in sent and "07700 900123" in sent
    (text,) = fake_notify.sent
    assert text.json["phone_number"] == "07700900123"
    assert "/forms/resume/" in text.json["personalisation"]["body"]
    outbox = Notification.objects.get(template="forms_engine/resume_link")
    assert outbox.channel == "sms" and "/forms/resume/" not in outbox.body_text


def test_closed_and_unpublished_forms(web):
    from wagtail.models import Site

    from cms.models import CouncilSettings

    form = missed_bin_form(closed_message="<p>Report missed bins by phone while we fix the form.</p>")
    draft = form_start(web, "missed-bin")
    form.archived = True
    form.save()
    settings = CouncilSettings.for_site(Site.objects.get(is_default_site=True))
    settings.phone = "01234 567890"
    settings.save()
    for url in ("/forms/missed-bin/", step_url(draft, 1)):
        page = _html(web.get(url))
        assert "This form is closed" in page and "while we fix the form" in page and "01234 567890" in page
    form_build(slug="not-yet", steps=[step("One", question("text", "a"))], publish=False)
    assert web.get("/forms/not-yet/").status_code == 404
    assert web.get("/forms/no-such-form/").status_code == 404


def test_expired_drafts_start_again(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=31))
    response = web.get(step_url(draft, 1))
    assert response["Location"] == "/forms/missed-bin/"


def test_refreshing_a_finished_form_goes_back_to_the_confirmation(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    for number, data in zip(
        [1, 3, 4, 5], [*missed_bin_answers(), {CONTACT_FIELD: "a@example.org"}], strict=True
    ):
        web.post(step_url(draft, number), data)
    first = web.post(check_url(draft))
    second = web.post(check_url(draft))
    assert first["Location"] == second["Location"]
    assert web.get(step_url(draft, 1))["Location"] == first["Location"]
    assert Submission.objects.count() == 1 and Case.objects.count() == 1


def test_sending_with_an_answer_missing_says_which_step_to_fix(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), {"bin_type": "Recycling"})
    page = web.get(check_url(draft))
    assert "Not answered" in _html(page)
    response = web.post(check_url(draft))
    assert response.status_code == 400
    assert "There is a problem" in _html(response) and step_url(draft, 3, change=True) in _html(response)
    assert not Submission.objects.exists()


def test_one_mobile_number_gets_a_few_links_an_hour_however_many_drafts_ask(web, fake_notify):
    from forms_engine.services import draft_resume_link_request

    missed_bin_form()
    drafts = [form_start(web, "missed-bin") for _ in range(4)]
    sent = [draft_resume_link_request(draft=draft, phone="07700900123") for draft in drafts]
    assert sent == [True, True, True, False]
