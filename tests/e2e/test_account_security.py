"""A resident protects their account, gets a copy of their data and deletes it; staff are made to use MFA."""

import io
import json
import re
import zipfile

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.services import profile_update
from tests.accounts.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory, totp_code
from tests.e2e.signin import enter_security_code, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _confirm_its_you(journey):
    page = journey.page
    assert journey.path().startswith("/accounts/reauthenticate/")
    journey.check()
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Continue"))


def _sign_out(journey):
    page = journey.page
    journey.click_and_check(page.get_by_role("link", name="Sign out").first)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign out"))


def _set_up_authenticator_app(journey) -> tuple[str, list[str]]:
    """On the set-up page: read the key as someone who cannot scan the QR code, enter the app's code."""
    page = journey.page
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code from the app").fill(totp_code(secret))
    journey.click_and_check(page.get_by_role("button", name="Turn on 2-step verification"))
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def test_set_up_an_authenticator_app_and_sign_in_with_a_code_then_a_recovery_code(journey):
    user = UserFactory(full_name="Tara Jones")
    page = journey.page
    journey.goto("/accounts/login/")
    sign_in(journey, user)
    assert journey.path() == "/my-account/"

    journey.click_and_check(page.get_by_role("link", name="Sign-in and security"))
    journey.click_and_check(page.get_by_role("link", name="Set up 2-step verification"))
    journey.click_and_check(page.locator("main").get_by_role("button", name="Set up an authenticator app"))
    _confirm_its_you(journey)
    assert journey.path() == "/accounts/2fa/totp/activate/"

    secret, codes = _set_up_authenticator_app(journey)
    journey.click_and_check(page.get_by_role("button", name="I have saved my codes"))
    assert journey.path() == "/my-account/security/"
    assert "Authenticator app" in page.locator("main").inner_text()
    # The key is never shown again.
    journey.goto("/accounts/2fa/totp/activate/")
    assert secret not in page.content()

    # Sign out, and back in with a code from the app.
    _sign_out(journey)
    journey.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign in", exact=True))
    assert journey.path() == "/accounts/2fa/authenticate/"
    enter_security_code(journey, "000000" if totp_code(secret) != "000000" else "111111")
    journey.check()
    assert page.locator(".govuk-error-summary").is_visible()
    enter_security_code(journey, totp_code(secret))
    journey.check()
    assert journey.path() == "/my-account/"

    # Then without the phone: a recovery code.
    _sign_out(journey)
    journey.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign in", exact=True))
    page.get_by_text("I do not have my phone").click()
    enter_security_code(journey, codes[0])
    journey.check()
    assert journey.path() == "/my-account/"

    journey.click_and_check(page.get_by_role("link", name="Sign-in and security"))
    activity = page.locator("main").inner_text()
    assert "Recovery code used to sign in" in activity
    assert "Wrong 2-step verification code entered" in activity
    assert "Authenticator app set up" in activity


def test_staff_without_mfa_are_led_to_set_it_up_before_the_admin(journey):
    editor = StaffFactory(full_name="Eddie Editor", mfa=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    page = journey.page
    page.goto(journey.base_url + "/admin/")
    assert journey.path().startswith("/accounts/login/")
    sign_in(journey, editor)

    assert journey.path().startswith("/my-account/security/2-step-verification-required/")
    journey.check()
    assert page.get_by_role("heading", name="Set up 2-step verification to use the admin").is_visible()
    journey.click_and_check(page.get_by_role("button", name="Set up an authenticator app"))
    _confirm_its_you(journey)
    _set_up_authenticator_app(journey)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("I have saved my codes")).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("body#wagtail").count() == 1


def test_export_my_data_and_check_the_zip(journey, tmp_path):
    user = UserFactory(full_name="Dana Data", email="dana@example.org")
    profile_update(user=user, address_line_1="1 High Street", town="Anytown", postcode="AN1 1AA")
    page = journey.page
    journey.goto("/accounts/login/")
    sign_in(journey, user)

    journey.click_and_check(page.get_by_role("link", name="Get a copy of your data"))
    journey.click_and_check(page.get_by_role("button", name="Ask for a copy of your data"))
    _confirm_its_you(journey)
    assert journey.path() == "/my-account/your-data/"
    assert page.get_by_text("We are preparing a copy of your data").is_visible()
    journey.goto("/my-account/your-data/")  # as after the email saying it is ready

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download your data")).click()
    download = download_info.value
    assert re.fullmatch(r"my-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    path = tmp_path / "export.zip"
    download.save_as(path)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    assert {"profile.json", "email_addresses.json", "security.json", "activity.json", "README.txt"} <= set(
        archive.namelist()
    )
    profile = json.loads(archive.read("profile.json"))
    assert profile["full_name"] == "Dana Data"
    assert profile["address"] == {
        "line_1": "1 High Street",
        "line_2": "",
        "town": "Anytown",
        "postcode": "AN1 1AA",
        "uprn": "",
    }
    assert json.loads(archive.read("email_addresses.json"))[0]["email"] == "dana@example.org"


def test_delete_my_account(journey):
    user = UserFactory(full_name="Lee Leaving", email="lee@example.org")
    page = journey.page
    journey.goto("/accounts/login/")
    sign_in(journey, user)

    journey.click_and_check(page.get_by_role("link", name="Delete your account"))
    _confirm_its_you(journey)
    main = page.locator("main").inner_text()
    assert "What we delete" in main and "What we keep" in main
    journey.click_and_check(page.get_by_role("button", name="Delete my account"))

    assert journey.path() == "/account-deleted/"
    assert page.get_by_role("heading", name="Your account has been deleted").is_visible()
    assert re.search(r"DEL-[0-9A-F]{8}", page.locator("main").inner_text())
    assert not get_user_model().objects.filter(email="lee@example.org").exists()

    # The account no longer signs in.
    journey.goto("/accounts/login/")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign in", exact=True))
    assert page.get_by_text("The email address or password you entered is incorrect").first.is_visible()


def test_add_a_passkey_and_sign_in_with_it(journey):
    """WebAuthn end to end, with Chromium's virtual authenticator standing in for a phone."""
    user = UserFactory(full_name="Pat Passkey")
    page = journey.page
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    journey.goto("/accounts/login/")
    sign_in(journey, user)
    journey.goto("/accounts/2fa/")
    journey.click_and_check(page.get_by_role("link", name="Add a passkey or security key"))
    _confirm_its_you(journey)
    page.get_by_label("Name").fill("My laptop")
    page.get_by_label("Also use it to sign in without a password (a passkey)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add key").click()
    journey.check()
    # The first key comes with recovery codes, for when the laptop is lost.
    assert journey.path() == "/accounts/2fa/recovery-codes/"
    journey.goto("/accounts/2fa/webauthn/")
    assert "My laptop" in page.locator("main").inner_text()
    assert "Passkey" in page.locator("main").inner_text()

    _sign_out(journey)
    journey.goto("/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(re.compile(r"/my-account/$"))
    journey.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Pat"
