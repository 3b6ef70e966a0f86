import re

import pytest

from django.test import Client
from django.urls import reverse

from tests.accounts.factories import StaffFactory, UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import form_start
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db


def test_public_pages_have_a_strict_csp_with_a_nonce(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    # The only inline script on the page carries the nonce.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
    assert inline_scripts
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline_scripts)
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_each_response_gets_a_fresh_nonce(client):
    first = re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"]).group(1)
    second = re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"]).group(1)
    assert first != second


def test_the_admin_has_its_own_policy(client):
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy
    assert "'nonce-" not in policy


def test_sign_in_form_is_csrf_protected(client):
    client = client.__class__(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@example.org", "password": "x"})
    assert response.status_code == 403


def _features(response) -> dict[str, str]:
    policy = response["Permissions-Policy"]
    return dict(item.strip().split("=", 1) for item in policy.split(","))


def test_every_response_switches_off_browser_features_no_page_needs(client):
    responses = [
        client.get("/"),  # a council page
        client.get("/no-such-page/"),  # 404
        client.get("/search/?q=%00"),  # refused before any view
        client.get(reverse("account_login")),
    ]
    for response in responses:
        features = _features(response)
        for feature in (
            "camera",
            "microphone",
            "payment",
            "usb",
            "serial",
            "display-capture",
            "browsing-topics",
        ):
            assert features[feature] == "()", (response.status_code, feature)
        # Location questions offer "use my current location"; passkeys sign people in.
        assert features["geolocation"] == "(self)"
        assert features["publickey-credentials-get"] == "(self)"
    client.force_login(StaffFactory(is_superuser=True))
    assert _features(client.get("/admin/"))["camera"] == "()"


def _private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_pages_with_someones_own_information_are_never_cached(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="in_progress")
    anonymous_case = case_make(contact_email="someone@example.org")
    _, payment = fee_case(resident=resident)
    form_build(slug="report", steps=[step("About it", question("text", "what", "What happened?"))])
    # Visitors: sign-in pages, tracking links and forms in progress.
    for url in (
        reverse("account_login"),
        reverse("account_signup"),
        f"/track/{anonymous_case.tracking_token}/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and _private(response), url
    draft = form_start(client, "report")
    response = client.get(f"/forms/report/{draft.pk}/step/1/")
    assert response.status_code == 200 and _private(response)
    # Signed in: My account, cases, payments, and every other page too.
    client.force_login(resident)
    for url in (
        reverse("my_account"),
        reverse("cases:detail", kwargs={"reference": case.reference}),
        reverse("payments:pay", kwargs={"reference": payment.reference}),
        reverse("account_profile"),
        "/",
        "/search/?q=bins",
    ):
        response = client.get(url)
        assert response.status_code in (200, 302) and _private(response), url
    staff = Client()
    staff.force_login(StaffFactory(is_superuser=True))
    assert _private(staff.get("/admin/"))
    assert _private(staff.get("/django-admin/"))


def test_council_pages_for_visitors_stay_cacheable(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
