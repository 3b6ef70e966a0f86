import re

import pytest
from allauth.account.models import EmailAddress

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.interactions.constants import Outcome
from portal.interactions.models import Interaction
from portal.notifications.constants import NotificationStatus
from portal.notifications.models import Notification
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _code_from(message) -> str:
    match = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def _sign_up(web, *, email="new.resident@example.org", password=DEFAULT_PASSWORD, name="Sam Smith"):
    return web.post(
        reverse("account_signup"),
        {"full_name": name, "email": email, "password1": password, "password2": password},
    )


def test_sign_up_verify_by_code_and_land_on_my_account(web):
    response = _sign_up(web)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")

    user = User.objects.get(email="new.resident@example.org")
    assert user.full_name == "Sam Smith"
    assert not EmailAddress.objects.get(user=user).verified

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.resident@example.org"]
    assert "Hello from Anytown Council" in message.body  # the council's site setting
    notification = Notification.objects.get(to="new.resident@example.org")
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.user == user

    page = web.get(reverse("account_email_verification_sent"))
    assert page.status_code == 200
    assert "new.resident@example.org" in page.text

    response = web.post(reverse("account_email_verification_sent"), {"code": _code_from(message)})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    home = web.get(response["Location"], follow=True)
    assert home.status_code == 200
    assert home.wsgi_request.path == reverse("my_account")
    assert "Hello, Sam" in home.text


def test_confirming_the_first_address_at_sign_up_is_not_an_email_change(web):
    _sign_up(web)
    response = web.post(reverse("account_email_verification_sent"), {"code": _code_from(mail.outbox[0])})
    assert response.status_code == 302
    user = User.objects.get(email="new.resident@example.org")
    assert not Interaction.objects.filter(user=user, outcome=Outcome.EMAIL_CHANGED).exists()
    page = web.get(reverse("account_security"))
    assert page.status_code == 200
    assert "Email address changed" not in page.text


def test_wrong_code_is_refused_with_an_error_and_the_account_stays_unverified(web):
    _sign_up(web)
    response = web.post(reverse("account_email_verification_sent"), {"code": "ZZZZZZ"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert 'id="id_code_error"' in response.text
    assert not EmailAddress.objects.get(email="new.resident@example.org").verified


def test_weak_password_keeps_name_and_email_but_not_the_password(web):
    response = _sign_up(web, password="password")
    assert response.status_code == 200
    assert not User.objects.filter(email="new.resident@example.org").exists()
    text = response.text
    assert "govuk-error-summary" in text
    assert text.startswith("<!DOCTYPE html>") or "<title>Error:" in text
    assert "<title>Error:" in text
    assert 'value="Sam Smith"' in text
    assert 'value="new.resident@example.org"' in text
    assert 'value="password"' not in text


def test_signing_up_with_a_taken_email_does_not_reveal_the_account(web):
    UserFactory(email="taken@example.org")
    response = _sign_up(web, email="taken@example.org")
    # Same outcome as a new address: "check your email"; the owner is told instead.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["taken@example.org"]


def test_email_is_case_insensitively_unique():
    UserFactory(email="case@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Case@Example.org")


def test_sign_in_and_sign_out(web):
    user = UserFactory(full_name="Alex Jones")
    response = web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("my_account")
    assert "Hello, Alex" in web.get(reverse("my_account")).text

    # Sign-out is a POST behind a confirmation page, so a link cannot sign you out.
    assert web.get(reverse("account_logout")).status_code == 200
    assert web.get(reverse("my_account")).status_code == 200
    response = web.post(reverse("account_logout"))
    assert response.status_code == 302
    assert web.get(reverse("my_account")).status_code == 302


def test_wrong_password_shows_an_error_and_keeps_the_email(web):
    user = UserFactory()
    response = web.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert f'value="{user.email}"' in response.text
    assert web.get(reverse("my_account")).status_code == 302


def test_repeated_failed_sign_ins_are_rate_limited(web):
    user = UserFactory()
    for _ in range(5):
        web.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    # Even the right password is refused until the limit expires.
    response = web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in web.session
    assert "too many" in response.text.lower()


def test_my_account_needs_sign_in(client):
    response = client.get(reverse("my_account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_password_reset_by_emailed_link(web):
    user = UserFactory()
    response = web.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    response = web.get("/" + path)
    assert response.status_code == 302  # allauth moves the key out of the URL
    new_password = "another-long-passphrase-77"
    response = web.post(response["Location"], {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_an_unknown_email_looks_the_same(web):
    response = web.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
