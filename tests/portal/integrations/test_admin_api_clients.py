"""Integration managers make, replace and revoke API keys in the admin; nobody else can.

The key is shown once, on the page answering the POST that made it, never cached; only its
hash is kept; a revoked or replaced key stops working at once (checked with the real
``api_client_authenticate``); every staff action is in Wagtail's log.
"""

import pytest

from django.test import RequestFactory
from django.urls import reverse

from wagtail.models import ModelLogEntry

from portal.integrations.admin_views import API_CLIENT_CREATE, API_CLIENT_REVOKE, API_CLIENT_ROTATE
from portal.integrations.constants import ApiScope
from portal.integrations.models import ApiClient, ApiKeyUse
from portal.integrations.services.api_keys import (
    ApiKeyError,
    api_client_authenticate,
    api_key_hash,
    api_key_use_record,
)
from tests.accounts.factories import StaffFactory, staff_in
from tests.accounts.signin import sign_in
from tests.portal.integrations.factories import api_client_with_key, refused

pytestmark = pytest.mark.django_db

LIST = "/admin/integrations/api-clients/"
ADD = "/admin/integrations/api-clients/new/"


@pytest.fixture
def manager():
    return staff_in("Integration managers", full_name="Ida Integrations")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def _call(key: str, scope=ApiScope.OPEN311_REPORT, path="/open311/v2/requests.json"):
    request = RequestFactory().post(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client_authenticate(request, scope=scope)


def _add(client, **answers):
    data = {
        "name": "FixMyStreet",
        "scopes": [ApiScope.OPEN311_REPORT],
        "rate_limit_per_minute": "120",
        "contact_email": "ops@fixmystreet.example",
        **answers,
    }
    return client.post(ADD, data)


def test_the_menu_and_pages_are_for_integration_managers_only(client, manager):
    client.force_login(manager)
    home = client.get("/admin/").text
    assert "Integrations" in home and LIST in home and "/admin/integrations/export/" in home
    assert client.get(LIST).status_code == 200
    assert client.get("/admin/integrations/")["Location"] == "/admin/integrations/deliveries/"

    for group in ("Case officers", "Service managers", "Finance", "Editors", "Contact centre"):
        client.force_login(staff_in(group))
        home = client.get("/admin/").text
        assert LIST not in home, group
        for url in (LIST, ADD, "/admin/integrations/", "/admin/integrations/destinations/"):
            assert refused(client.get(url)), (group, url)
        assert refused(_add(client))
    assert not ApiClient.objects.exists()


def test_staff_must_pass_two_step_verification_first(client, manager):
    client.force_login(manager, mfa=False)
    response = client.get(LIST)
    assert response.status_code == 302 and not response["Location"].startswith(LIST)
    # Signed in through the real forms, with the authenticator app's code, it opens.
    fresh = type(client)()
    sign_in(fresh, manager)
    assert fresh.get(LIST).status_code == 200


def test_adding_a_client_shows_the_key_once_and_keeps_only_its_hash(signed_in, manager):
    page = _add(signed_in)
    assert page.status_code == 200
    client = ApiClient.objects.get()
    key = page.context["key"]
    assert key.startswith(client.key_prefix + "_")
    assert key in page.text
    assert "Copy it now: it won't be shown again." in page.text
    # Not cached anywhere on the way.
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    # Hashed, never stored.
    assert client.key_hash == api_key_hash(key) and client.key_hash != key
    assert key not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert (client.name, client.scopes, client.rate_limit_per_minute, client.contact_email) == (
        "FixMyStreet",
        [ApiScope.OPEN311_REPORT],
        120,
        "ops@fixmystreet.example",
    )
    assert client.created_by == manager
    # It works.
    assert _call(key) == client

    # Not to be seen again: not on the list, the client's page, nor any later page.
    for url in (LIST, reverse("integrations_admin:api_client", args=[client.pk])):
        response = signed_in.get(url)
        assert response.status_code == 200
        assert key not in response.text
        assert client.key_prefix in response.text  # which key is which
    entry = ModelLogEntry.objects.get(action=API_CLIENT_CREATE)
    assert (entry.object_id, entry.user_id) == (str(client.pk), manager.pk)
    assert key not in str(entry.data)


def test_the_list_says_what_each_key_may_do_in_words(signed_in):
    api_client_with_key("Highways", [ApiScope.CASE_UPDATES, ApiScope.OPEN311_REPORT])
    revoked, _ = api_client_with_key("Old app")
    signed_in.post(reverse("integrations_admin:api_client_revoke", args=[revoked.pk]))
    page = signed_in.get(LIST).text
    assert "Update cases (status API)" in page and "File reports through Open311" in page
    assert "Revoked" in page and "Never" in page


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the name of the system or app"),
        ({"scopes": []}, "scopes", "Select at least one thing the key may do"),
        ({"rate_limit_per_minute": "0"}, "rate_limit_per_minute", "must be between 1 and 10,000"),
        ({"rate_limit_per_minute": "lots"}, "rate_limit_per_minute", "as a whole number, like 60"),
        (
            {"contact_email": "ops at example"},
            "contact_email",
            "Enter an email address in the correct format",
        ),
        ({"name": "fixmystreet"}, "name", "There is already an API client called fixmystreet"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_made(signed_in, answers, field, message):
    if answers.get("name") == "fixmystreet":
        api_client_with_key("FixMyStreet")
    before = ApiClient.objects.count()
    page = _add(signed_in, **answers)
    assert page.status_code == 400
    assert message in page.text
    assert "There is a problem" in page.text and f'href="#id_{field}' in page.text
    assert page.text.count(message) >= 2  # in the summary and by the field
    assert ApiClient.objects.count() == before
    assert "Copy it now" not in page.text


def test_revoking_asks_first_then_the_key_stops_working(signed_in, manager):
    client, key = api_client_with_key("FixMyStreet")
    url = reverse("integrations_admin:api_client_revoke", args=[client.pk])
    confirm = signed_in.get(url)
    assert confirm.status_code == 200 and "Yes, revoke the key" in confirm.text
    client.refresh_from_db()
    assert not client.is_revoked and _call(key) == client  # a GET changes nothing

    response = signed_in.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations_admin:api_client", args=[client.pk])
    client.refresh_from_db()
    assert client.is_revoked and client.revoked_by == manager
    with pytest.raises(ApiKeyError) as refused:
        _call(key)
    assert refused.value.status == 403 and "revoked" in refused.value.message
    assert ModelLogEntry.objects.filter(action=API_CLIENT_REVOKE, object_id=str(client.pk)).count() == 1

    # Again: nothing more happens, and the key cannot be replaced to bring it back.
    signed_in.post(url)
    assert ModelLogEntry.objects.filter(action=API_CLIENT_REVOKE).count() == 1
    rotate = reverse("integrations_admin:api_client_rotate", args=[client.pk])
    assert signed_in.post(rotate).status_code == 302
    client.refresh_from_db()
    with pytest.raises(ApiKeyError):
        _call(key)
    assert not ModelLogEntry.objects.filter(action=API_CLIENT_ROTATE).exists()


def test_revoking_needs_a_post_with_the_csrf_token(manager):
    from django.test import Client

    client, key = api_client_with_key("FixMyStreet")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(reverse("integrations_admin:api_client_revoke", args=[client.pk]))
    assert response.status_code == 403
    client.refresh_from_db()
    assert not client.is_revoked


def test_replacing_the_key_shows_the_new_one_once_and_the_old_one_stops(signed_in, manager):
    client, old_key = api_client_with_key("FixMyStreet")
    url = reverse("integrations_admin:api_client_rotate", args=[client.pk])
    confirm = signed_in.get(url)
    assert confirm.status_code == 200 and "stops working at once" in confirm.text
    assert _call(old_key) == client

    page = signed_in.post(url)
    assert page.status_code == 200
    new_key = page.context["key"]
    assert new_key != old_key and new_key in page.text and "The old key has stopped working" in page.text
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    with pytest.raises(ApiKeyError) as refused:
        _call(old_key)
    assert refused.value.status == 401
    assert _call(new_key) == client
    client.refresh_from_db()
    assert client.key_hash == api_key_hash(new_key) and new_key.startswith(client.key_prefix)
    assert new_key not in signed_in.get(reverse("integrations_admin:api_client", args=[client.pk])).text
    assert ModelLogEntry.objects.filter(action=API_CLIENT_ROTATE, user=manager).count() == 1


def test_the_clients_page_lists_its_calls_newest_first_a_page_at_a_time(signed_in):
    client, key = api_client_with_key("FixMyStreet")
    other, other_key = api_client_with_key("Other app")
    factory = RequestFactory()
    for number in range(55):
        request = factory.get(f"/open311/v2/requests/{number}.json", HTTP_AUTHORIZATION=f"Bearer {key}")
        api_key_use_record(request, client=client, status_code=200 if number % 2 else 429, detail="")
    api_key_use_record(
        factory.get("/open311/v2/secret-other.json", HTTP_AUTHORIZATION=f"Bearer {other_key}"),
        client=other,
        status_code=200,
    )
    assert ApiKeyUse.objects.filter(client=client).count() == 55

    url = reverse("integrations_admin:api_client", args=[client.pk])
    first = signed_in.get(url)
    assert first.status_code == 200
    uses = list(first.context["uses"])
    assert len(uses) == 50
    assert uses[0].path == "/open311/v2/requests/54.json"  # newest first
    assert "Page 1 of 2" in first.text and "secret-other" not in first.text
    assert "429 (refused)" in first.text
    second = signed_in.get(url, {"p": 2})
    assert [use.path for use in second.context["uses"]][-1] == "/open311/v2/requests/0.json"


def test_a_superuser_may_too_and_a_missing_client_is_404(client):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("integrations_admin:api_client", args=[999999])).status_code == 404
    assert client.post(reverse("integrations_admin:api_client_revoke", args=[999999])).status_code == 404
