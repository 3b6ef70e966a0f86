"""The security page: devices, recent security events, changing the email address and password."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.devices import device_label
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.signin import reauthenticate, sign_in

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/140.0 Safari/537.36 Edg/140.0",
            "Edge on Windows",
        ),
        ("", "Unknown device"),
    ],
)
def test_devices_get_plain_names(agent, label):
    assert device_label(agent) == label


def test_the_security_page_lists_devices_and_signs_out_the_others(web):
    user = UserFactory()
    phone = Client(HTTP_USER_AGENT=IPHONE)
    sign_in(phone, user)
    web.defaults["HTTP_USER_AGENT"] = FIREFOX
    sign_in(web, user)
    assert UserSession.objects.filter(user=user).count() == 2

    page = web.get(reverse("account_security"))
    assert page.status_code == 200
    assert "Firefox on Windows" in page.text
    assert "Safari on iPhone" in page.text
    assert "This device" in page.text
    assert "Sign out of all other devices" in page.text

    response = web.post(reverse("account_sessions_end_others"))
    assert response.status_code == 302
    assert phone.get(reverse("my_account")).status_code == 302  # signed out over there
    assert web.get(reverse("my_account")).status_code == 200  # still signed in here
    assert UserSession.objects.filter(user=user).count() == 1
    assert "Signed out of all other devices" in web.get(reverse("account_security")).text


def test_the_security_page_shows_recent_sign_ins_and_failed_attempts(web):
    user = UserFactory()
    web.post(reverse("account_login"), {"login": user.email.upper(), "password": "wrong"})
    sign_in(web, user)
    text = web.get(reverse("account_security")).text
    assert "Sign-in attempt with the wrong password" in text
    assert "Failed" in text
    assert "Signed in" in text


def test_another_residents_events_are_not_shown(web):
    user, other = UserFactory(), UserFactory()
    web.post(reverse("account_login"), {"login": other.email, "password": "wrong"})
    sign_in(web, user)
    assert "wrong password" not in web.get(reverse("account_security")).text


def test_changing_the_password_is_recorded(web):
    user = UserFactory()
    sign_in(web, user)
    new = "another-long-passphrase-77"
    response = web.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert "Password changed" in web.get(reverse("account_security")).text
    assert any(m.subject == "Your password has been changed" for m in mail.outbox)


def test_changing_the_email_address_needs_the_new_address_confirmed(web):
    user = UserFactory(email="old@example.org")
    sign_in(web, user)
    page = web.get(reverse("account_email"))
    assert "Change your email address" in page.text

    # Confirm it's you before a change, then a code to the new address.
    response = web.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = web.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old@example.org"  # nothing changes until the code is entered
    message = [m for m in mail.outbox if m.to == ["new@example.org"]][-1]
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)

    response = web.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.org"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("new@example.org", True)
    ]
    assert Interaction.objects.filter(
        user=user, type=InteractionType.AUTH, outcome=Outcome.EMAIL_CHANGED
    ).exists()
    assert "Email address changed" in web.get(reverse("account_security")).text
    # The old address is told.
    assert any(m.to == ["old@example.org"] and "changed" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("account_login", {"login": "a@example.org", "password": "x"}),
        ("account_sessions_end_others", {}),
        ("data_export", {}),
        ("account_delete", {}),
        ("account_email", {"action_add": "", "email": "x@example.org"}),
        ("account_change_password", {"oldpassword": "x", "password1": "y", "password2": "y"}),
    ],
)
def test_changes_are_csrf_protected(name, data):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse(name), data).status_code == 403


def test_profile_changes_are_csrf_protected():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post(reverse("account_profile_change", args=["name"]), {"full_name": "Changed"})
    assert response.status_code == 403


def test_reauthenticating_is_required_for_sensitive_pages(web):
    sign_in(web, UserFactory())
    for name in ("account_delete", "mfa_activate_totp"):
        assert web.get(reverse(name))["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(web)
    assert web.get(reverse("account_delete")).status_code == 200


def test_last_seen_is_kept_up_to_date_without_a_write_on_every_request(client):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.middleware import UserSessionActivityMiddleware

    user = UserFactory()
    sign_in(client, user)
    long_ago = timezone.now() - timedelta(hours=3)
    UserSession.objects.filter(user=user).update(last_seen_at=long_ago)

    client.get(reverse("my_account"))  # first signed-in request: recorded
    session = UserSession.objects.get(user=user)
    assert session.last_seen_at > long_ago

    UserSession.objects.filter(user=user).update(last_seen_at=long_ago)
    client.get(reverse("my_account"))  # moments later: nothing written
    assert UserSession.objects.get(user=user).last_seen_at == long_ago

    stored = client.session
    stored[UserSessionActivityMiddleware._SEEN_KEY] -= UserSessionActivityMiddleware.INTERVAL + 1
    stored.save()
    client.get(reverse("my_account"))  # a few minutes later: recorded again
    assert UserSession.objects.get(user=user).last_seen_at > long_ago
