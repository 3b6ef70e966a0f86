"""Signing in through the real pages in the browser, second step included."""

import time

from tests.accounts.factories import DEFAULT_PASSWORD, TOTP_SECRET, totp_code


def sign_in(
    journey, user, *, password: str = DEFAULT_PASSWORD, secret: str = TOTP_SECRET, check: bool = True
):
    """From the sign-in page (already open): password, then the authenticator app's code if asked.

    ``check`` runs axe-core on the pages on the way.
    """
    page = journey.page
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Sign in", exact=True).click()
    if journey.path().startswith("/accounts/2fa/authenticate/"):
        if check:
            journey.check()
        enter_security_code(journey, totp_code(secret))
        if journey.path().startswith("/accounts/2fa/authenticate/"):
            # That code was used in the last 30 seconds: an app would be showing the next one.
            enter_security_code(journey, totp_code(secret, at=time.time() + 30))


def enter_security_code(journey, code: str) -> None:
    page = journey.page
    page.get_by_label("Security code").fill(code)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Continue").click()
