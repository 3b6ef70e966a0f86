"""Staff reach an admin only from a session that passed 2-step verification.

Every URL Django, Wagtail and allauth route is tried as a sign-in form with a staff
member's correct email and password: none of them may leave a session that opens an
admin. The URLs are enumerated from the resolver, so a sign-in view added later (by us or
by an upgrade) is tried too.
"""

import re

import pytest

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wagtail.models import Page, PageViewRestriction

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory, totp_code
from tests.accounts.signin import sign_in
from tests.portal.cases.factories import staff_in

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ("/admin/", "/admin/cases/", "/django-admin/")
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_SAMPLES = {"int": "1", "slug": "a", "uuid": "00000000-0000-0000-0000-000000000001", "path": "a", "str": "a"}


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _concrete(route: str) -> str:
    """A URL for a route: converters and regex groups filled with plausible values."""
    url = _CONVERTER.sub(lambda m: _SAMPLES.get(m.group("conv") or "str", "a"), route)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "a1", url)
    url = re.sub(r"\([^)]*\)", "a", url)
    url = url.replace("^", "").replace("$", "").replace("\\", "")
    url = re.sub(r"[?*+]", "", url)
    return "/" + url.lstrip("/")


def every_url() -> list[str]:
    return sorted({_concrete(route) for route in _walk(get_resolver())})


def _admin_opens(client: Client) -> bool:
    """Whether any admin page opens for this client's session (a redirect does not count)."""
    return any(client.get(path).status_code == 200 for path in ADMIN_PAGES)


def test_the_resolver_walk_finds_every_sign_in_view():
    urls = every_url()
    for known in ("/accounts/login/", "/admin/login/", "/django-admin/login/", "/_util/login/"):
        assert known in urls
    assert len(urls) > 200


def test_no_url_signs_staff_in_to_an_admin_with_a_password_alone():
    officer = staff_in("Case officers", email="officer@council.example", is_superuser=True)
    credentials = {
        "username": officer.email,
        "login": officer.email,
        "email": officer.email,
        "password": DEFAULT_PASSWORD,
        "password1": DEFAULT_PASSWORD,
        "remember": "on",
    }
    opened = []
    for url in every_url():
        client = Client()
        client.post(url, credentials)
        if _admin_opens(client):
            opened.append(url)
    assert opened == []


def test_wagtails_own_front_end_sign_in_form_is_not_served():
    officer = staff_in("Case officers")
    client = Client()
    response = client.get("/_util/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/admin/"
    client.post("/_util/login/", {"username": officer.email, "password": DEFAULT_PASSWORD})
    assert SESSION_KEY not in client.session
    assert not _admin_opens(client)


def test_a_page_for_signed_in_people_sends_visitors_to_the_portals_sign_in():
    home = Page.objects.get(depth=2)
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    response = Client().get(home.url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_staff_signed_in_by_password_only_are_asked_for_a_code_before_an_admin_opens(client):
    officer = staff_in("Case officers")
    client.force_login(officer, mfa=False)  # a session that skipped the 2-step stage
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_reauthenticate") + "?next=")
    response = client.post(reverse("mfa_reauthenticate") + "?next=/admin/cases/", {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == "/admin/cases/"
    assert client.get("/admin/cases/").status_code == 200


def test_a_2_step_check_for_another_account_in_the_same_session_does_not_count(client):
    """The records are tied to the user they were made for (allauth keeps the user id)."""
    other = staff_in("Case officers")
    sign_in(client, other)
    officer = staff_in("Case officers")
    # Same browser, now signed in as someone else without passing their 2-step stage.
    client.force_login(officer, mfa=False)
    assert client.get("/admin/").status_code == 302


def test_staff_who_passed_2_step_verification_reach_the_admin(client):
    officer = staff_in("Case officers")
    sign_in(client, officer)
    assert client.get("/admin/").status_code == 200


def test_staff_made_staff_while_signed_in_must_pass_2_step_verification(client):
    person = UserFactory()
    sign_in(client, person)
    person.groups.add(staff_in("Case officers").groups.get())
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("account_mfa_required"))


def test_staff_sessions_last_a_working_day_and_residents_keep_theirs(client):
    officer = staff_in("Case officers")
    sign_in(client, officer)
    assert client.session.get_expiry_age() == settings.PORTAL_STAFF_SESSION_SECONDS
    assert settings.PORTAL_STAFF_SESSION_SECONDS <= 12 * 3600

    resident_client = Client()
    sign_in(resident_client, UserFactory())
    assert resident_client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_guessing_a_staff_password_is_stopped_and_the_right_one_then_does_not_get_in():
    """The only password form staff can use is allauth's, whose limits apply."""
    officer = staff_in("Case officers")
    client = Client()
    responses = [
        client.post(reverse("account_login"), {"login": officer.email, "password": f"wrong-{n}"})
        for n in range(12)
    ]
    assert "too many" in responses[-1].text.lower() or responses[-1].status_code == 429
    response = client.post(reverse("account_login"), {"login": officer.email, "password": DEFAULT_PASSWORD})
    assert response.status_code != 302 or response["Location"] != reverse("mfa_authenticate")
    assert not _admin_opens(client)
