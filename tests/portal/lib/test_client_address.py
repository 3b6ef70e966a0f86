"""The client's address behind trusted proxies: what every per-client limit keys on."""

import pytest

from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from portal.interactions.visitor import visitor_key
from portal.lib.client import client_ip
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory


def _request(remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(PORTAL_TRUSTED_PROXY_COUNT=1)
def test_one_proxy_hop_takes_the_address_it_saw():
    # The client may send its own X-Forwarded-For; the proxy appends the real address.
    assert client_ip(_request("10.0.0.5", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.5", "198.51.100.7")) == "198.51.100.7"


@override_settings(PORTAL_TRUSTED_PROXY_COUNT=2)
def test_two_proxy_hops():
    assert client_ip(_request("10.0.0.5", "1.2.3.4, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


@override_settings(PORTAL_TRUSTED_PROXIES=["10.0.0.0/8", "::1"])
def test_trusted_proxy_networks_are_skipped_from_the_right():
    assert client_ip(_request("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.1.2.3")) == "198.51.100.7"
    # A request that does not come through a trusted proxy is taken at its own address.
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"
    # A malformed hop stops the walk: nothing left of it can be trusted.
    assert client_ip(_request("10.0.0.5", "198.51.100.7, not-an-ip")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5", "[2001:db8::1]:443")) == "2001:db8::1"


@pytest.mark.django_db
@override_settings(PORTAL_TRUSTED_PROXY_COUNT=1)
def test_the_visitor_key_tells_clients_behind_the_proxy_apart():
    one = visitor_key(_request("10.0.0.5", "198.51.100.1"))
    two = visitor_key(_request("10.0.0.5", "198.51.100.2"))
    assert one != two
    assert one == visitor_key(_request("10.0.0.6", "198.51.100.1"))


def _attack_then_sign_in(attacker: str, resident: str) -> int:
    victim = UserFactory(email="victim@example.org")
    other = UserFactory(email="other@example.org")
    attack = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=attacker)
    for n in range(31):
        attack.post(reverse("account_login"), {"login": victim.email, "password": f"wrong-{n}"})
    honest = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=resident)
    response = honest.post(reverse("account_login"), {"login": other.email, "password": DEFAULT_PASSWORD})
    return response.status_code


@pytest.mark.django_db
@override_settings(PORTAL_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_one_clients_wrong_passwords_do_not_lock_out_another_behind_the_same_proxy():
    assert _attack_then_sign_in("198.51.100.1", "198.51.100.2") == 302


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit():
    assert _attack_then_sign_in("198.51.100.1", "198.51.100.2") == 429
