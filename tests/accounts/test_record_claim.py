"""A person claims the record the contact centre kept for them before they had an account.

One hand-built scenario: an agent makes a record for a caller with no account (an email to
write to, no sign-in), and on it a request with a fee, its payment, a form in progress, the
call's assisted contact, support needs, an email, the call and its audit entries. The person
then signs up with the same email: nothing is offered until the address is verified; then
My account offers the record, the confirmation page says what will move, and confirming moves
every row to the account and removes the record, with the interaction log's person key kept.
"""

import re

import pytest
from allauth.account.models import EmailAddress

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import IdentityCheck, StaffAccessAction, SupportNeed
from accounts.models import Proxy, RecordLink, StaffAccess, SupportNeeds
from accounts.records import _leftovers
from accounts.selectors import resident_record_offers
from accounts.services import (
    RecordMergeError,
    RecordNotOffered,
    account_delete,
    resident_record_create,
    resident_record_link_propose,
    resident_record_merge,
    staff_access_record,
    support_needs_update,
)
from forms_engine.models import Draft
from forms_engine.services import draft_create, form_version_current
from payments.models import Payment, PaymentLink
from payments.services import payment_create
from portal.cases.constants import EventType
from portal.cases.models import Case
from portal.contact_centre.models import Call
from portal.interactions.constants import Channel
from portal.interactions.models import Interaction
from portal.interactions.services import assisted_contact_record
from portal.lib import personal_data
from portal.notifications.models import Notification
from portal.notifications.services import notification_email_send
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory, staff_in
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db
User = get_user_model()

EMAIL = "pat.jones@example.org"
CLAIMS = reverse("account_record_claims")


def _claim_url(record_id: int) -> str:
    return reverse("account_record_claim", kwargs={"record_id": record_id})


def _record_with_history():
    """A record an agent made on a phone call, with everything that can hang off one."""
    agent = staff_in("Contact centre", full_name="Alex Agent")
    record = resident_record_create(
        staff=agent, full_name="Pat Jones", contact_email="Pat.Jones@Example.org", phone="07700 900123"
    )
    call = Call.objects.create(
        staff=agent,
        channel=Channel.PHONE,
        resident=record,
        identity=IdentityCheck.ADDRESS_AND_CONTACT,
        identity_checked_at=timezone.now(),
    )
    staff_access_record(staff=agent, resident=record, action=StaffAccessAction.RECORD_CREATED, call=call.pk)
    case = case_make(
        resident=record,
        contact_email=record.contact_email,
        contact_name=record.full_name,
        status="awaiting_payment",
        title="Book a bulky waste collection",
        reference_prefix="BLK",
        service_code=528,
        channel=Channel.PHONE,
    )
    payment = payment_create(
        amount_pence=3500,
        description="Bulky waste collection",
        vat_status="outside_scope",
        user=record,
        case=case,
    )
    draft = draft_create(version=form_version_current(form=missed_bin_form()), user=record)
    contact = assisted_contact_record(
        staff=agent,
        channel=Channel.PHONE,
        service_code=528,
        reason_code="book",
        avoidable=False,
        resolved_first_contact=True,
        resident=record,
        case_reference=case.reference,
    )
    support_needs_update(user=record, needs=[SupportNeed.LARGE_PRINT], recorded_by=agent)
    email = notification_email_send(
        to=record.contact_email, user=record, subject="Your booking", body_text="We have your booking."
    )
    link = PaymentLink.objects.create(
        token_hash="0" * 64, payment=payment, user=record, sent_to=record.contact_email, created_by=agent
    )
    carer = Proxy.objects.create(
        resident=record,
        person=UserFactory(),
        invite_email="carer@example.org",
        relationship="carer",
        accepted_at=timezone.now(),
        invitation_expires_at=timezone.now(),
    )
    return {
        "agent": agent,
        "record": record,
        "call": call,
        "case": case,
        "payment": payment,
        "draft": draft,
        "contact": contact,
        "email": email,
        "link": link,
        "carer": carer,
    }


def test_an_unverified_email_gets_no_offer_a_verified_one_does_and_confirming_moves_everything(
    client, django_capture_on_commit_callbacks
):
    history = _record_with_history()
    record = history["record"]
    record_key = record.person_key
    signing_up = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = signing_up.post(
            reverse("account_signup"),
            {
                "full_name": "Patricia Jones",
                "email": "Pat.Jones@example.org",
                "password1": DEFAULT_PASSWORD,
                "password2": DEFAULT_PASSWORD,
            },
        )
    assert response.status_code == 302
    account = User.objects.get(email="pat.jones@example.org")
    assert not EmailAddress.objects.get(user=account).verified
    client.force_login(account)

    # Unverified: no banner, no claim page, and the service refuses it too.
    home = client.get(reverse("my_account"))
    assert "The council has a record of your contact with us" not in home.text
    assert client.get(CLAIMS).status_code == 404
    assert client.get(_claim_url(record.pk)).status_code == 404
    assert client.post(_claim_url(record.pk)).status_code == 404
    with pytest.raises(RecordNotOffered):
        resident_record_merge(record=record, user=account)
    assert Case.objects.get(pk=history["case"].pk).resident == record

    # Verified (the code the sign-up emailed, read back): the offer lists what the record holds.
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    signing_up.post(reverse("account_email_verification_sent"), {"code": code})
    assert EmailAddress.objects.get(user=account).verified
    home = client.get(reverse("my_account"))
    assert "The council has a record of your contact with us" in home.text
    reference = history["case"].reference
    assert f"Book a bulky waste collection ({reference}): waiting for payment, made by phone on" in home.text
    assert "Bulky waste collection: £35, not paid yet, on" in home.text
    assert _claim_url(record.pk) in home.text

    assert client.get(CLAIMS)["Location"] == _claim_url(record.pk)  # one record: straight to it
    page = client.get(_claim_url(record.pk))
    assert page.status_code == 200
    text = page.text
    assert "with your email address, pat.jones@example.org, which you have confirmed" in text
    assert "The record is in the name of Pat Jones" in text
    assert reference in text and history["payment"].reference in text
    assert "Report a missed bin" in text  # the form in progress
    assert "Telephone on" in text  # the assisted contact
    assert "the extra support recorded on the record is added to your account" in text
    assert "the record itself is then removed" in text
    assert "we will email you at pat.jones@example.org" in text

    response = client.post(_claim_url(record.pk))
    assert response.status_code == 302 and response["Location"] == reverse("my_account")

    # Everything moved; the record is gone; history keeps the record's person key.
    assert not User.objects.filter(pk=record.pk).exists()
    case = Case.objects.get(pk=history["case"].pk)
    assert case.resident == account
    assert case.contact_email == "pat.jones@example.org"
    assert case.contact_name == "Patricia Jones"
    claimed = case.events.get(type=EventType.CLAIMED)
    assert not claimed.public and claimed.actor == account
    assert Payment.objects.get(pk=history["payment"].pk).user == account
    assert Draft.objects.get(pk=history["draft"].pk).user == account
    contact = Interaction.objects.get(pk=history["contact"].pk)
    assert contact.user_id == account.pk
    assert contact.person_key == record_key != account.person_key
    assert (
        Interaction.objects.filter(person_key=record_key).count()
        == Interaction.objects.filter(person_key=record_key, user=account).count()
    )
    assert SupportNeeds.objects.get(user=account).needs == [SupportNeed.LARGE_PRINT]
    assert Notification.objects.get(pk=history["email"].pk).user == account
    assert Notification.objects.get(pk=history["email"].pk).to == "pat.jones@example.org"
    assert Call.objects.get(pk=history["call"].pk).resident == account
    assert PaymentLink.objects.get(pk=history["link"].pk).user == account
    assert Proxy.objects.get(pk=history["carer"].pk).resident == account
    created = StaffAccess.objects.get(action=StaffAccessAction.RECORD_CREATED)
    assert created.resident == account and created.resident_key == record_key
    # The account's own details are kept; none of the record's were copied over.
    account.refresh_from_db()
    assert (account.full_name, account.phone, account.contact_email) == ("Patricia Jones", "", "")
    # A merge by email match writes no staff audit entry; the link row notes the merge.
    assert not StaffAccess.objects.filter(action=StaffAccessAction.RECORD_MERGED).exists()
    link = RecordLink.objects.get(record_number=record.pk)
    assert link.account == account and link.merged_at is not None and link.record is None

    # The requests page and the case are the account's now.
    assert client.get(reverse("cases:detail", kwargs={"reference": reference})).status_code == 200
    assert "The council has a record of your contact with us" not in client.get(reverse("my_account")).text

    # Confirming again (a double submit) is safe: it says so and changes nothing.
    again = client.post(_claim_url(record.pk), follow=True)
    assert again.status_code == 200
    assert "already part of your account" in again.text
    assert case.events.filter(type=EventType.CLAIMED).count() == 1
    assert resident_record_merge(record=record, user=account).already_done


def test_the_account_keeps_its_own_support_needs(client):
    history = _record_with_history()
    account = UserFactory(email=EMAIL)
    support_needs_update(user=account, needs=[SupportNeed.BSL])
    client.force_login(account)
    page = client.get(_claim_url(history["record"].pk))
    assert "is not copied, because you have already told us" in page.text
    merged = resident_record_merge(record=history["record"], user=account)
    assert merged.case_references == [history["case"].reference] and not merged.support_needs_moved
    assert SupportNeeds.objects.get(user=account).needs == [SupportNeed.BSL]
    assert SupportNeeds.objects.count() == 1


def test_another_resident_gets_404_and_anonymous_gets_the_sign_in_page(client):
    history = _record_with_history()
    record = history["record"]
    UserFactory(email=EMAIL)  # the owner, verified
    other = UserFactory(email="someone.else@example.org")
    client.force_login(other)
    assert resident_record_offers(user=other) == []
    for url in (CLAIMS, _claim_url(record.pk)):
        assert client.get(url).status_code == 404
    assert client.post(_claim_url(record.pk)).status_code == 404
    assert Case.objects.get(pk=history["case"].pk).resident == record

    client.logout()
    for url in (CLAIMS, _claim_url(record.pk)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert client.post(_claim_url(record.pk)).status_code == 302
    assert User.objects.filter(pk=record.pk).exists()


def test_a_matching_phone_number_alone_offers_nothing_an_agents_proposal_does(client):
    history = _record_with_history()
    record, agent = history["record"], history["agent"]
    account = UserFactory(email="pat@another.example", phone="07700900123")
    assert resident_record_offers(user=account) == []

    with pytest.raises(RecordMergeError):
        resident_record_link_propose(record=record, account=agent, staff=agent)
    link = resident_record_link_propose(record=record, account=account, staff=agent, call=history["call"].pk)
    assert link.merged_at is None and link.proposed_by_name == "Alex Agent"
    offered = StaffAccess.objects.get(action=StaffAccessAction.RECORD_LINK_OFFERED)
    assert offered.resident == account and offered.call == history["call"].pk

    client.force_login(account)
    home = client.get(reverse("my_account"))
    assert "Our contact centre offered you a record it kept for you" in home.text
    page = client.get(_claim_url(record.pk))
    assert "one of our staff offered to add it to your account" in page.text
    # Still the resident's choice: the agent's offer alone moved nothing.
    assert Case.objects.get(pk=history["case"].pk).resident == record

    assert client.post(_claim_url(record.pk)).status_code == 302
    assert Case.objects.get(pk=history["case"].pk).resident == account
    merged = StaffAccess.objects.get(action=StaffAccessAction.RECORD_MERGED)
    assert merged.resident == account and merged.staff == agent
    assert merged.resident_key == account.person_key
    link.refresh_from_db()
    assert link.record is None and link.merged_at is not None and link.account == account


def test_an_offer_to_another_account_is_replaced_and_a_stale_one_refused():
    history = _record_with_history()
    record, agent = history["record"], history["agent"]
    first, second = UserFactory(), UserFactory()
    resident_record_link_propose(record=record, account=first, staff=agent)
    resident_record_link_propose(record=record, account=second, staff=agent)
    assert resident_record_offers(user=first) == []
    assert [offer.record for offer in resident_record_offers(user=second)] == [record]
    with pytest.raises(RecordNotOffered):
        resident_record_merge(record=record, user=first)
    resident_record_merge(record=record, user=second)
    assert RecordLink.objects.get().account == second


def test_nothing_is_left_pointing_at_the_record_before_it_goes():
    """Every relation to a user is either moved by an app's reassign or deleted with the record."""
    history = _record_with_history()
    account = UserFactory(email=EMAIL)
    record = history["record"]
    assert _leftovers(record) != []  # the scenario does reach the relations
    for part in personal_data.parts():
        if part.reassign is not None:
            part.reassign(record, account)
    assert _leftovers(record) == []


def test_a_record_without_an_account_can_never_sign_in(client):
    history = _record_with_history()
    record = history["record"]
    assert record.email is None and not record.has_usable_password()
    mail.outbox.clear()

    # Signing in with the record's email (or an empty one) and any password fails.
    for login in (record.contact_email, "pat.jones@example.org"):
        response = client.post(reverse("account_login"), {"login": login, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # A password reset, or a sign-in code, to the record's email sends nothing.
    client.post(reverse("account_reset_password"), {"email": record.contact_email})
    client.post(reverse("account_request_login_code"), {"email": record.contact_email})
    assert mail.outbox == []
    assert not client.login(email=None, password="")
    record.refresh_from_db()
    assert record.email is None and not record.has_usable_password()


def test_deleting_an_account_keeps_its_calls_without_the_person():
    """A call whose caller's identity was checked must lose the person (and the check) cleanly."""
    history = _record_with_history()
    account = UserFactory(email=EMAIL)
    resident_record_merge(record=history["record"], user=account)
    account_delete(user=account)
    call = Call.objects.get(pk=history["call"].pk)
    assert (call.resident, call.identity, call.identity_checked_at) == (None, "", None)
    assert call.staff == history["agent"]
