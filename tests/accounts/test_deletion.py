"""Deleting an account: explained first, personal data erased or anonymised, signed out everywhere."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import DataExport
from accounts.selectors import data_export_token
from accounts.services import AccountDeletionError, account_delete, data_export_build, data_export_request
from payments.constants import PaymentStatus
from payments.services import payment_transition
from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.models import Interaction
from portal.interactions.services import assisted_contact_record, interaction_record
from portal.notifications.models import Notification
from portal.notifications.services import notification_email_send
from tests.accounts.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory, mfa_totp_add
from tests.accounts.signin import reauthenticate, sign_in
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_the_page_explains_what_happens_after_confirming_it_is_you(web):
    user = UserFactory()
    sign_in(web, user)
    response = web.get(reverse("account_delete"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(web)
    page = web.get(reverse("account_delete"))
    assert page.status_code == 200
    text = page.text
    assert "What we delete" in text
    assert "Your name, address and phone number are deleted." in text
    assert "What we keep" in text
    assert "kept without your name, for up to 13 months" in text
    assert reverse("data_export") in text
    assert "You cannot undo this" in text
    assert User.objects.filter(pk=user.pk).exists()


def test_deleting_erases_personal_data_and_keeps_anonymous_records(web):
    user = UserFactory(email="leaving@example.org")
    mfa_totp_add(user)
    officer = StaffFactory()
    notification_email_send(to=user.email, subject="About your bin", body_text="Dear Leaving")
    contact = assisted_contact_record(
        staff=officer,
        channel=Channel.PHONE,
        service_code=524,
        reason_code="enquiry",
        avoidable=False,
        resolved_first_contact=True,
        resident=user,
        notes="Lives at 1 High St",
    )
    interaction_record(type=InteractionType.SEARCH, user=user, outcome="results")
    export = data_export_request(user=user)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    export_file = export.file.name
    storage = export.file.storage
    link = reverse("data_export_download") + "?t=" + data_export_token(export=export)

    other_device = Client()
    sign_in(other_device, user)
    sign_in(web, user)
    reauthenticate(web)

    response = web.post(reverse("account_delete"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_deleted")
    page = web.get(response["Location"])
    assert "Your account has been deleted" in page.text
    assert "DEL-" in page.text

    # The account and its sign-in data are gone.
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(email="leaving@example.org").exists()
    assert not Authenticator.objects.filter(user_id=user.pk).exists()
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    assert not DataExport.objects.exists()
    assert not storage.exists(export_file)
    # Signed out everywhere.
    assert web.get(reverse("my_account")).status_code == 302
    assert other_device.get(reverse("my_account")).status_code == 302
    assert not any(s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all())
    # Emails: a record that one was sent, nothing about whom or what.
    kept = Notification.objects.exclude(to=officer.email)
    assert kept.count() >= 2  # "About your bin" and "Your data is ready"
    assert set(kept.values_list("to", "subject", "body_text", "user")) == {("", "", "", None)}
    # Interactions stay for the measures, unlinked, without the officer's notes about the person.
    contact.refresh_from_db()
    assert contact.user_id is None
    assert "notes" not in contact.extras
    assert contact.staff_id == officer.pk
    assert not Interaction.objects.filter(user_id=user.pk).exists()
    assert Interaction.objects.filter(type=InteractionType.SEARCH, user__isnull=True).exists()
    # The deletion itself is logged, with the reference and no personal data.
    event = Interaction.objects.get(type=InteractionType.AUTH, outcome=Outcome.ACCOUNT_DELETED)
    assert event.user_id is None
    assert event.extras["reference"].startswith("DEL-")
    assert event.extras["reference"] in page.text

    # A deleted account cannot sign in, and its export link is dead.
    response = Client().post(
        reverse("account_login"), {"login": "leaving@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert "The email address or password you entered is incorrect" in response.text
    fresh = Client()
    fresh.force_login(UserFactory())
    assert fresh.get(link).status_code == 404


def test_staff_accounts_cannot_be_deleted_from_my_account(web):
    staff = StaffFactory()
    with pytest.raises(AccountDeletionError):
        account_delete(user=staff)
    sign_in(web, staff)
    reauthenticate(web)
    page = web.get(reverse("account_delete"))
    assert "You cannot delete this account here" in page.text
    assert web.post(reverse("account_delete")).status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()


def test_the_deleted_page_needs_a_deletion_to_show(client):
    assert client.get(reverse("account_deleted"))["Location"] == "/"


def test_another_resident_is_untouched():
    leaving, staying = UserFactory(), UserFactory()
    notification_email_send(to=staying.email, subject="Hello", body_text="Hi")
    interaction_record(type=InteractionType.SEARCH, user=staying)
    account_delete(user=leaving)
    assert Notification.objects.get(to=staying.email).body_text == "Hi"
    assert Interaction.objects.filter(user=staying).exists()


def test_the_registry_refuses_a_second_part_with_the_same_name():
    from portal.lib import personal_data as registry

    with pytest.raises(ValueError, match="already registered"):
        registry.register(name="profile", label="Again", export=lambda user: {})


def _delete_page(web, user):
    sign_in(web, user)
    response = web.get(reverse("account_delete"))
    reauthenticate(web, url=response["Location"])
    page = web.get(reverse("account_delete"))
    assert page.status_code == 200
    return page.text


def test_the_page_lists_open_requests_and_payments_and_says_what_happens_to_them(web):
    user = UserFactory()
    open_case = case_make(resident=user, title="Report a pothole")
    case_make(resident=user, title="Report graffiti", status="resolved")
    fee, payment = fee_case(resident=user, title="Book a bulky waste collection")
    payment_transition(payment=payment, to=PaymentStatus.STARTED, source="system")
    payment_transition(payment=payment, to=PaymentStatus.SUCCESS, source="system")
    fee_case(resident=user, title="Apply for a parking permit")  # not paid: not a payment made

    text = _delete_page(web, user)

    assert "You have 3 open requests and 1 payment you have made" in text  # awaiting payment is open too
    assert "Your open requests" in text
    assert open_case.reference in text and "Report a pothole" in text
    assert fee.reference in text
    assert "Report graffiti" not in text  # closed
    assert "officers will not be able to email you about them" in text
    assert f"for {settings.PORTAL_RETENTION_YEARS} years after they are closed" in text
    assert "Payments you have made" in text
    assert payment.reference in text and payment.amount_display in text
    assert "part of the council’s financial record" in text
    # The warning informs; deleting is still a separate, deliberate step.
    assert User.objects.filter(pk=user.pk).exists()
    assert 'class="govuk-button govuk-button--warning"' in text


def test_no_warning_without_open_requests_or_payments(web):
    text = _delete_page(web, UserFactory())
    assert "Your open requests" not in text
    assert "Payments you have made" not in text


def test_another_residents_requests_are_not_listed(web):
    other_case = case_make(resident=UserFactory(), title="Someone else's pothole")
    text = _delete_page(web, UserFactory())
    assert other_case.reference not in text
