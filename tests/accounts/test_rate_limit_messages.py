"""Every "too many attempts" answer says when to try again, from the limiter's own window."""

import pytest

from django.core.cache import cache
from django.urls import reverse

from portal.lib.ratelimit import ratelimit_clear, ratelimit_hit, ratelimit_retry_after, retry_after_message
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.payments.factories import bill_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (1, "Try again in 1 minute"),
        (60, "Try again in 1 minute"),
        (61, "Try again in 2 minutes"),
        (299, "Try again in 5 minutes"),
        (15 * 60, "Try again in 15 minutes"),
        (3600, "Try again in 1 hour"),
        (3 * 3600, "Try again in 3 hours"),
    ],
)
def test_the_wait_is_rounded_up_to_words(seconds, message):
    assert retry_after_message(seconds) == message


def test_a_window_remembers_when_it_ends():
    assert ratelimit_retry_after("test:unknown", window_seconds=600) == 600
    for _ in range(3):
        ratelimit_hit("test:key", limit=2, window_seconds=600)
    assert 595 <= ratelimit_retry_after("test:key", window_seconds=600) <= 600
    ratelimit_clear("test:key")
    assert ratelimit_retry_after("test:key", window_seconds=60) == 60


def test_too_many_wrong_passwords_says_when_to_try_again(web):
    user = UserFactory()
    for _ in range(5):
        web.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = web.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert "You have tried to sign in too many times. Try again in 5 minutes" in response.text


def test_allauth_429_says_when_to_try_again(web):
    data = {"full_name": "Sam", "email": "x", "password1": "x", "password2": "x"}
    responses = [web.post(reverse("account_signup"), data) for _ in range(21)]  # 20 a minute per address
    refused = responses[-1]
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert "Try again in 1 minute" in refused.text
    assert refused["Retry-After"] == "60"


def test_bill_search_429_says_when_to_try_again(web):
    bill_make()
    for _ in range(10):
        web.post(reverse("payments:bill_start"), {"reference": "INV-204518", "postcode": "ZZ9 9ZZ"})
    response = web.post(reverse("payments:bill_start"), {"reference": "INV-204518", "postcode": "AB1 2CD"})
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.text
    assert response["Retry-After"] == "900"


def test_page_feedback_429_says_when_to_try_again(client, monkeypatch):
    monkeypatch.setattr("cms.views.pages.MAX_ANSWERS_PER_HOUR", 1)  # the limit, not the limiter
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156 Safari/537.36"}
    assert client.post("/feedback/", {"path": "/one/", "useful": "yes"}, **browser).status_code == 302
    response = client.post("/feedback/", {"path": "/two/", "useful": "yes"}, **browser)
    assert response.status_code == 429
    assert "Try again in 1 hour" in response.text
    assert 3590 <= int(response["Retry-After"]) <= 3600
