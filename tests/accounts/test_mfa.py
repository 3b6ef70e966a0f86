"""Two-factor authentication: setting it up, signing in with it, and the staff rule."""

import re

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator

from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.mfa import MFAAdapter
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    TOTP_SECRET,
    StaffFactory,
    UserFactory,
    mfa_totp_add,
    recovery_codes_for,
    totp_code,
)
from tests.accounts.signin import reauthenticate, sign_in

pytestmark = pytest.mark.django_db


def _secret_from(page) -> str:
    return re.search(r'data-secret="([A-Z2-7]+)"', page.text).group(1)


def test_setting_up_an_authenticator_app(web):
    user = UserFactory()
    sign_in(web, user)

    # Confirm it's you first.
    response = web.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(web)

    page = web.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.text  # the QR code, inline
    secret = _secret_from(page)

    response = web.post(
        reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "1"}
    )
    assert response.status_code == 200
    assert "The code is not correct" in response.text
    assert "govuk-error-summary" in response.text
    assert secret in response.text  # still setting up: the same key

    response = web.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = web.get(response["Location"])
    assert codes_page.text.count("<code>") == 10

    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    # Stored encrypted, never in the clear.
    assert secret not in str(totp.data)
    assert totp.data["secret"].startswith("fernet:")
    assert get_mfa_adapter().decrypt(totp.data["secret"]) == secret

    # Never shown again: setting up again leads to turning it off, and no page shows it.
    assert web.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa_deactivate_totp")
    for name in ("mfa_index", "account_security", "mfa_view_recovery_codes", "my_account"):
        assert secret not in web.get(reverse(name)).text
    assert "mfa.totp.secret" not in web.session

    # The owner is told, and the security page shows it.
    assert any(m.subject == "You turned on 2-step verification" for m in mail.outbox)
    security = web.get(reverse("account_security")).text
    assert "Authenticator app set up" in security
    assert "Recovery codes set up" in security


def test_signing_in_with_a_code_and_then_with_a_recovery_code(web):
    user = UserFactory()
    mfa_totp_add(user)
    response = web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in web.session  # not signed in until the second step

    page = web.get(reverse("mfa_authenticate"))
    assert "Enter your security code" in page.text
    wrong = web.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert wrong.status_code == 200
    assert "The code is not correct" in wrong.text
    response = web.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert web.get(reverse("my_account")).status_code == 200
    web.post(reverse("account_logout"))

    code = recovery_codes_for(user)[0]
    web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    response = web.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert web.get(reverse("my_account")).status_code == 200
    assert code not in recovery_codes_for(user)
    web.post(reverse("account_logout"))

    # A recovery code works once.
    web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert web.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    outcomes = list(
        Interaction.objects.filter(user=user, type=InteractionType.AUTH).values_list("outcome", "extras")
    )
    assert (Outcome.MFA, {"action": "used", "kind": "recovery_codes"}) in outcomes
    assert any(outcome == Outcome.MFA_FAILED for outcome, _ in outcomes)


def test_wrong_security_codes_are_rate_limited(client):
    user = UserFactory()
    mfa_totp_add(user)
    client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000001"})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 200
    assert "too many wrong codes" in response.text
    assert "_auth_user_id" not in client.session


def test_the_session_changes_when_someone_signs_in(client):
    """Session fixation: a session id known before signing in is useless afterwards."""
    user = UserFactory()
    mfa_totp_add(user)
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    after = client.session.session_key
    assert client.session["_auth_user_id"] == str(user.pk)
    assert before and after and before != after


def _login_code(address: str) -> str:
    message = [m for m in mail.outbox if address in m.to][-1]
    assert message.subject == "Your sign-in code"
    return re.search(r"^\s*([A-Z0-9]{4,}-?[A-Z0-9]*)\s*$", message.body, re.MULTILINE).group(1)


def test_signing_in_with_a_code_sent_by_email(web):
    user = UserFactory()
    login_page = web.get(reverse("account_login")).text
    assert reverse("account_request_login_code") in login_page

    response = web.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    page = web.get(response["Location"])
    assert "Check your email" in page.text
    wrong = web.post(reverse("account_confirm_login_code"), {"code": "NOPE"})
    assert "The code is not correct" in wrong.text
    response = web.post(reverse("account_confirm_login_code"), {"code": _login_code(user.email)})
    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(user.pk)


def test_a_sign_in_code_for_an_unknown_address_looks_the_same(web):
    response = web.post(reverse("account_request_login_code"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert "Check your email" in web.get(response["Location"]).text


def test_a_sign_in_code_still_needs_the_second_step(web):
    user = UserFactory()
    mfa_totp_add(user)
    web.post(reverse("account_request_login_code"), {"email": user.email})
    response = web.post(reverse("account_confirm_login_code"), {"code": _login_code(user.email)})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in web.session


def test_asking_for_sign_in_codes_is_rate_limited(web):
    user = UserFactory()
    for _ in range(3):
        web.post(reverse("account_request_login_code"), {"email": user.email})
        web.post(reverse("account_logout"))
    response = web.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.status_code == 200
    assert "too many codes" in response.text


def test_password_reset_is_rate_limited(web):
    user = UserFactory()
    for _ in range(5):
        web.post(reverse("account_reset_password"), {"email": user.email})
    response = web.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 429
    assert len(mail.outbox) == 5


# The staff rule


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/pages/", "/django-admin/", "/django-admin/accounts/user/"]
)
def test_staff_without_mfa_are_sent_to_set_it_up(client, path):
    staff = StaffFactory(mfa=False, is_superuser=True)
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_mfa_required") + "?next=" + path.replace("/", "%2F")


def test_the_mfa_setup_and_sign_out_pages_do_not_loop(client):
    staff = StaffFactory(mfa=False)
    staff.groups.add(Group.objects.get(name="Editors"))
    client.force_login(staff)
    page = client.get(reverse("account_mfa_required") + "?next=/admin/pages/")
    assert page.status_code == 200
    assert "Set up 2-step verification to use the admin" in page.text
    for name in (
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "account_logout",
        "account_reauthenticate",
    ):
        response = client.get(reverse(name))
        assert response.status_code in (200, 302)
        assert reverse("account_mfa_required") not in response.get("Location", "")
    assert client.get("/admin/logout/").get("Location", "") != reverse("account_mfa_required")


def test_anyone_with_admin_access_needs_mfa_not_only_is_staff(client):
    person = UserFactory()
    person.groups.add(Group.objects.get(name="Finance"))
    client.force_login(person)
    assert client.get("/admin/")["Location"].startswith(reverse("account_mfa_required"))


def test_residents_are_not_asked_to_set_up_mfa_for_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert reverse("account_mfa_required") not in response.get("Location", "")


def test_after_setting_up_mfa_staff_carry_on_to_the_admin(web):
    staff = StaffFactory(mfa=False)
    staff.groups.add(Group.objects.get(name="Editors"))
    sign_in(web, staff)
    assert web.get("/admin/pages/")["Location"].startswith(reverse("account_mfa_required"))
    web.get(reverse("account_mfa_required") + "?next=/admin/pages/")
    reauthenticate(web)
    secret = _secret_from(web.get(reverse("mfa_activate_totp")))
    response = web.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    codes = web.get(response["Location"])
    assert reverse("account_mfa_continue") in codes.text
    assert web.get(reverse("account_mfa_continue"))["Location"] == "/admin/pages/"
    assert web.get("/admin/pages/").status_code == 200


def test_staff_cannot_turn_off_their_only_authenticator_but_residents_can(web):
    staff = StaffFactory()
    sign_in(web, staff)
    reauthenticate(web)
    page = web.get(reverse("mfa_deactivate_totp"))
    assert "You cannot turn this off" in page.text
    web.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    web.post(reverse("account_logout"))

    resident = UserFactory()
    mfa_totp_add(resident)
    sign_in(web, resident)
    reauthenticate(web)
    assert web.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=resident).exists()


def test_passkey_pages_are_offered(web):
    assert "Sign in with a passkey" in web.get(reverse("account_login")).text
    user = UserFactory()
    sign_in(web, user)
    reauthenticate(web)
    page = web.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    assert 'id="js_data"' in page.text
    assert "creation_options" in page.text
    assert "/static/mfa/js/webauthn.js" in page.text


@override_settings(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
def test_mfa_secrets_survive_a_secret_key_rotation():
    with override_settings(SECRET_KEY="old-key", SECRET_KEY_FALLBACKS=[]):
        encrypted = MFAAdapter().encrypt(TOTP_SECRET)
    assert MFAAdapter().decrypt(encrypted) == TOTP_SECRET
    with override_settings(SECRET_KEY_FALLBACKS=[]), pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
        MFAAdapter().decrypt(encrypted)


def test_the_passkey_button_without_javascript_explains_itself(web):
    response = web.post(reverse("mfa_login_webauthn"), {"credential": ""})
    assert response["Location"] == reverse("account_login")
    page = web.get(response["Location"])
    assert "Your browser did not use a passkey" in page.text


def test_the_continue_link_never_leads_off_the_site(client):
    staff = StaffFactory(mfa=False)
    client.force_login(staff)
    client.get(reverse("account_mfa_required") + "?next=https://evil.example/")
    mfa_totp_add(staff)
    assert client.get(reverse("account_mfa_continue"))["Location"] == reverse("account_security")
