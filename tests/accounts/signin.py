"""Signing in through the real forms, for view tests (``force_login`` skips MFA and reauthentication)."""

import time

from django.urls import reverse

from tests.accounts.factories import DEFAULT_PASSWORD, TOTP_SECRET, totp_code


def sign_in(client, user, *, password: str = DEFAULT_PASSWORD, totp_secret: str | None = TOTP_SECRET):
    """Sign in with the password, and the authenticator app's code if the account asks for one."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"] == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
        if response.status_code == 200:
            # A code works once: a second sign-in within 30 seconds uses the next one, which
            # the portal accepts a period early (MFA_TOTP_TOLERANCE), as a phone would show it.
            next_code = totp_code(totp_secret, at=time.time() + 30)
            response = client.post(reverse("mfa_authenticate"), {"code": next_code})
        assert response.status_code == 302, response.content.decode()[:500]
    return response


def reauthenticate(client, *, password: str = DEFAULT_PASSWORD, url: str = ""):
    """Confirm it's you: what allauth asks for before sensitive changes.

    Pass the ``url`` allauth redirected to (it carries ``?next=``) to carry on with the
    request that needed it, as a browser would.
    """
    response = client.post(url or reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response
