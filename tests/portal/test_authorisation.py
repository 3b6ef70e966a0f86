"""Every URL the project defines, walked: who may open it.

- An anonymous visitor is sent to sign in for My account, account settings and both admins.
- A signed-in resident cannot open any staff page.
- Resident A gets 404, never 403, for resident B's objects.

URLs are built from the URL resolver itself, so a new page is covered the day it is added.
Parameters get sample values; a pattern that cannot be built that way must be named in
``UNBUILDABLE`` with the reason, and the test fails if the list goes stale.
"""

import re
import uuid

import pytest
from allauth.mfa.models import Authenticator

from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern

from accounts.selectors import data_export_token
from accounts.services import (
    data_export_build,
    data_export_request,
    proxy_accept,
    proxy_invite,
    resident_record_create,
)
from cms.services import alert_subscribe
from forms_engine.services import draft_create, form_version_current
from tests.accounts.factories import UserFactory
from tests.accounts.signin import reauthenticate
from tests.forms_engine.factories import form_build, question, step
from tests.payments.factories import fee_case

pytestmark = pytest.mark.django_db

# Patterns the walker cannot build a path for or that no path can reach, and why.
UNBUILDABLE = {
    "admin/login/": "Wagtail's own sign-in: shadowed by the portal's redirect to its sign-in page",
    "accounts/email/": "allauth's email page: shadowed by the portal's wrapper that asks to confirm it's you",
    "_util/login/": "Wagtail's front-end sign-in: shadowed by the portal's redirect to its sign-in page",
}

SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/django-admin/login/", "/_util/login/")
LOGIN_REQUIRED_PREFIXES = ("/my-account/", "/admin/", "/django-admin/")
STAFF_PREFIXES = ("/admin/", "/django-admin/")
# allauth's pages for a signed-in account (the rest of /accounts/ is signing in, up, or out).
ACCOUNT_SETTINGS = {
    "account_email",
    "account_change_password",
    "account_set_password",
    "account_reauthenticate",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_reauthenticate_webauthn",
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    "usersessions_list",
}
# Within the login-required prefixes, the paths (prefixes) that are public on purpose.
PUBLIC_WITHIN = {
    "/admin/login/": "redirects to the portal's sign-in page",
    "/django-admin/login/": "redirects to the portal's sign-in page",
    "/django-admin/logout/": "signing out when not signed in goes back to the admin, which asks to sign in",
    "/admin/sprite/": "Wagtail's icon sprite: an SVG file, no data",
    "/admin/jsi18n/": "Wagtail's JavaScript translations, no data",
    "/admin/password_reset/": "switched off (WAGTAIL_PASSWORD_RESET_ENABLED = False): 404 for everyone",
}
# Resident-owned objects and how to point a URL at resident B's one.
OWNED = {
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    "data_export_download",
    "account_proxy_end",
    "account_proxy_invitation",
    "account_acting_for",
    "account_acting_stop",
    "account_record_claim",
    "alert_subscription_cancel",
}
# Resident pages that list the signed-in resident's own things, a page at a time: no object in
# the URL, so the check is that none of resident B's things is on any page of resident A's.
OWN_LISTS = {"my_account", "saved_forms", "cases:list", "payments:history"}
# Parameters in resident URLs that are not objects (so nobody else's object can be named).
NOT_OBJECTS = {"account_profile_change": "a section of the profile page, not an object"}

_GROUP = re.compile(r"\((\?P<\w+>|\?:)?([^()]*)\)([*+?]?)")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _sample_group(match: re.Match) -> str:
    content, quantifier = match.group(2), match.group(3)
    if quantifier in ("*", "?") or not content:
        return ""
    first = content.split("|")[0]
    if re.fullmatch(r"[\w\-]+", first):
        return first
    if re.fullmatch(r"(\\d|\[0-9\])[+*]?", content):
        return "1"
    return "x"


def _from_regex(regex: str) -> str | None:
    text = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    while _GROUP.search(text):
        text = _GROUP.sub(_sample_group, text)
    text = re.sub(r"(?<!\\)\.[*+]", "x", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return None if re.search(r"[\[\]{}*+?|^$\\]", text) else text


def _from_route(route: str) -> str:
    samples = {"int": "1", "uuid": str(uuid.uuid4()), "path": "x", "o311fmt": "json"}
    return _CONVERTER.sub(lambda m: samples.get(m.group(1) or "str", "x"), route)


def _walk(patterns, prefix=""):
    for entry in patterns:
        pattern = entry.pattern
        part = (
            _from_regex(pattern.regex.pattern)
            if isinstance(pattern, RegexPattern)
            else _from_route(str(pattern))
        )
        shown = prefix + str(pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, None if part is None or prefix is None else prefix + part)
            continue
        path = None if part is None or prefix is None else "/" + prefix + part
        yield shown, entry, path


def _all_urls() -> tuple[list[tuple[str, str]], list[str]]:
    built, unbuildable = [], []
    for shown, entry, path in _walk(get_resolver().url_patterns):
        try:
            match = resolve(path) if path is not None else None
        except Resolver404:
            match = None
        if match is None or match.func is not entry.callback:
            unbuildable.append(shown)
        else:
            built.append((path, entry.name or ""))
    return built, unbuildable


def _is_sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(SIGN_IN_PATHS)


def test_every_url_is_walked_and_the_skip_list_is_current():
    built, unbuildable = _all_urls()
    assert len(built) > 300
    assert sorted(unbuildable) == sorted(UNBUILDABLE)
    paths = {path for path, _ in built}
    for expected in ("/my-account/", "/my-account/your-data/download/", "/admin/", "/django-admin/", "/"):
        assert expected in paths


def test_anonymous_visitors_are_sent_to_sign_in():
    built, _ = _all_urls()
    client = Client()
    wrong = []
    for path, name in built:
        needs_sign_in = (
            path.startswith(LOGIN_REQUIRED_PREFIXES) and not path.startswith(tuple(PUBLIC_WITHIN))
        ) or name in ACCOUNT_SETTINGS
        response = client.get(path)
        if needs_sign_in and not _is_sent_to_sign_in(response):
            wrong.append((path, response.status_code, response.get("Location")))
        if response.status_code >= 500:
            wrong.append((path, response.status_code, "server error"))
    assert not wrong


def test_a_resident_cannot_reach_any_staff_page():
    built, _ = _all_urls()
    resident = UserFactory()
    client = Client()
    client.force_login(resident)
    reached = []
    for path, _name in built:
        if not path.startswith(STAFF_PREFIXES) or path.startswith(tuple(PUBLIC_WITHIN)):
            continue
        response = client.get(path)
        if 200 <= response.status_code < 300 or response.status_code >= 500:
            reached.append((path, response.status_code))
        if "_auth_user_id" not in client.session:  # a sign-out page did its job
            client.force_login(resident)
    assert not reached


def test_resident_a_gets_404_for_resident_bs_objects():
    built, _ = _all_urls()
    resident_a, resident_b = UserFactory(), UserFactory()
    key = Authenticator.objects.create(
        user=resident_b, type=Authenticator.Type.WEBAUTHN, data={"name": "B's key"}
    )
    export = data_export_request(user=resident_b)
    data_export_build(export_id=export.pk)
    # B names someone to act for them; B acts for someone else; B is invited to act for them too.
    other = UserFactory()
    named, _ = proxy_invite(
        resident=resident_b, email="c@example.org", relationship="carer", can_submit=False, can_pay=False
    )
    acts, _ = proxy_invite(
        resident=other, email=resident_b.email, relationship="friend", can_submit=False, can_pay=False
    )
    acts = proxy_accept(proxy=acts, person=resident_b)
    _, invitation = proxy_invite(
        resident=UserFactory(), email=resident_b.email, relationship="other", can_submit=False, can_pay=False
    )
    record = resident_record_create(
        staff=UserFactory(is_staff=True), full_name="B", contact_email=resident_b.email, phone="07700900123"
    )
    alerts = alert_subscribe(channel="email", email=resident_b.email, user=resident_b)
    b_urls = {
        "mfa_remove_webauthn": f"/accounts/2fa/webauthn/keys/{key.pk}/remove/",
        "mfa_edit_webauthn": f"/accounts/2fa/webauthn/keys/{key.pk}/edit/",
        "data_export_download": "/my-account/your-data/download/?t=" + data_export_token(export=export),
        "account_proxy_end": f"/my-account/people-who-act-for-you/{named.pk}/end/",
        "account_proxy_invitation": f"/my-account/act-for/{invitation}/",
        "account_acting_for": f"/my-account/people-you-act-for/{acts.pk}/",
        "account_acting_stop": f"/my-account/people-you-act-for/{acts.pk}/stop/",
        # A record the contact centre kept with B's (verified) email: offered to B alone.
        "account_record_claim": f"/my-account/records/{record.pk}/claim/",
        # B's own alert subscription (to B's email: it started at once).
        "alert_subscription_cancel": f"/my-account/alerts/{alerts.pk}/stop/",
    }
    assert set(b_urls) == OWNED

    # Every resident URL that takes a parameter is either an owned object or declared not one.
    resident_patterns = {
        name
        for path, name in built
        if (path.startswith("/my-account/") or name in ACCOUNT_SETTINGS) and name and _has_parameters(name)
    }
    assert resident_patterns <= OWNED | set(NOT_OBJECTS)

    # Both have just confirmed it's them, so nothing but ownership stands in the way.
    client_a, client_b = Client(), Client()
    for client, resident in ((client_a, resident_a), (client_b, resident_b)):
        client.force_login(resident)
        reauthenticate(client)
    for name, url in b_urls.items():
        assert client_a.get(url).status_code == 404, name
        assert client_a.post(url).status_code == 404, name
        assert client_b.get(url).status_code in (200, 302), name  # B's own still works
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_resident_as_lists_never_show_resident_bs_things():
    resident_a, resident_b = UserFactory(), UserFactory()
    form = form_build(
        slug="report-graffiti",
        title="Report graffiti",
        steps=[step("Where", question("text", "where", "Where?"))],
    )
    drafts = {}
    for resident in (resident_a, resident_b):
        drafts[resident] = draft_create(version=form_version_current(form=form), user=resident)
        drafts[resident].answers = {"where": "Market Square"}
        drafts[resident].save()
    b_case, b_payment = fee_case(resident=resident_b, title="B's bulky waste")
    a_case, a_payment = fee_case(resident=resident_a, title="A's bulky waste")
    b_things = [b_case.reference, b_payment.reference, str(drafts[resident_b].pk)]
    client = Client()
    client.force_login(resident_a)
    for name in OWN_LISTS:
        for page in ("1", "2", "x"):
            text = client.get(reverse(name), {"page": page}).text
            # A's own are there (so the page really lists things), B's never.
            assert (
                a_case.reference in text or a_payment.reference in text or str(drafts[resident_a].pk) in text
            )
            assert not [thing for thing in b_things if thing in text], (name, page)


def _has_parameters(name: str) -> bool:
    return any(
        params
        for possibilities, *_ in get_resolver().reverse_dict.getlist(name)
        for _format, params in possibilities
    )
