"""A resident creates an account, verifies the email with the emailed code, and signs in and out."""

import re

import pytest

from django.core import mail

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "a-long-and-unusual-passphrase-42"


def _latest_code(address: str) -> str:
    messages = [m for m in mail.outbox if address in m.to]
    assert messages, f"no email to {address}"
    match = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", messages[-1].body, re.MULTILINE)
    assert match, messages[-1].body
    return match.group(1)


def test_sign_up_verify_sign_in_and_out(journey, mailoutbox):
    page = journey.page
    journey.goto("/")
    journey.click_and_check(page.get_by_role("link", name="Create an account").first)

    # A mistake first: the passwords differ. Nothing typed is lost except the passwords.
    page.get_by_label("Full name").fill("Jo Bloggs")
    page.get_by_label("Email address").fill("jo.bloggs@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD + "x")
    journey.click_and_check(page.get_by_role("button", name=re.compile("Create|Sign up", re.I)))
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    assert page.get_by_label("Full name").input_value() == "Jo Bloggs"
    assert page.get_by_label("Email address").input_value() == "jo.bloggs@example.org"
    assert page.get_by_label("Password", exact=True).input_value() == ""

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    journey.click_and_check(page.get_by_role("button", name=re.compile("Create|Sign up", re.I)))

    # Check your email: the code arrives by email.
    assert "jo.bloggs@example.org" in page.content()
    code_box = page.locator("input[name=code]")
    code_box.fill("WRONG-CODE")
    journey.click_and_check(page.get_by_role("button", name=re.compile("Confirm|Verify", re.I)))
    assert page.locator(".govuk-error-summary").is_visible()

    page.locator("input[name=code]").fill(_latest_code("jo.bloggs@example.org"))
    journey.click_and_check(page.get_by_role("button", name=re.compile("Confirm|Verify", re.I)))

    assert journey.path() == "/my-account/"
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Jo"

    # Sign out, through the confirmation page.
    journey.click_and_check(page.get_by_role("link", name="Sign out").first)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign out"))
    assert page.get_by_role("link", name="Sign in").first.is_visible()

    # And back in with the new password.
    journey.click_and_check(page.get_by_role("link", name="Sign in").first)
    page.get_by_label("Email address").fill("jo.bloggs@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign in", exact=True))
    assert journey.path() == "/my-account/"
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Jo"
