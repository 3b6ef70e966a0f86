import re

import pytest

from django.urls import reverse

from tests.factories import StaffFactory

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
