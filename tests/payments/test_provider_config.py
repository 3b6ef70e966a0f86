"""A portal that takes payments takes real money, or says plainly everywhere that it does not.

Production refuses to start on the sandbox (whose test cards "pay") unless a setting says
it takes no money; every sandbox payment page, receipt and list then says TEST.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings as django_settings
from django.core import mail
from django.core.checks import run_checks
from django.urls import reverse

from payments.models import SandboxCheckout
from payments.services import payment_start, payment_status_sync

from .factories import fee_case

BASE_DIR = Path(django_settings.BASE_DIR)
TEST_NOTICE = "TEST payment – no money was taken"
CARD = {"expiry_month": "12", "expiry_year": "2039", "cardholder_name": "Sam Resident", "cvc": "123"}


def _payment_checks() -> list[str]:
    return sorted(f"{m.id}" for m in run_checks() if m.id.startswith("payments."))


@pytest.fixture
def production(settings):
    """Settings as production has them: no DEBUG, no Stripe keys, nothing allowing the sandbox."""
    settings.DEBUG = False
    settings.PAYMENTS_SANDBOX_TAKES_NO_MONEY = False
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    settings.PAYMENTS_PROVIDER = "sandbox"
    return settings


def test_the_sandbox_outside_development_is_an_error_unless_a_setting_allows_it(production):
    assert _payment_checks() == ["payments.E003"]
    production.PAYMENTS_SANDBOX_TAKES_NO_MONEY = True  # a demo or test site, which says TEST
    assert _payment_checks() == []
    production.PAYMENTS_SANDBOX_TAKES_NO_MONEY, production.DEBUG = False, True  # development
    assert _payment_checks() == []


def test_stripe_needs_both_keys_and_a_test_key_is_a_warning(production):
    production.PAYMENTS_PROVIDER = "stripe"
    production.STRIPE_SECRET_KEY = "sk_live_portal"
    assert _payment_checks() == ["payments.E002"]
    production.STRIPE_WEBHOOK_SECRET = "whsec_portal"
    assert _payment_checks() == []
    production.STRIPE_SECRET_KEY = "sk_test_portal"
    assert _payment_checks() == ["payments.W001"]
    production.PAYMENTS_PROVIDER = "paypal"
    assert _payment_checks() == ["payments.E001"]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return _python("manage.py", *args, **env)


def _python(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("STRIPE_", "PAYMENTS_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
        )
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="production-check-" + "x" * 40,
        ALLOWED_HOSTS="portal.council.example",
        SMTP_HOST="smtp.council.example",
        **env,
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_production_settings_refuse_to_start_without_a_real_provider():
    """The finding: production without Stripe keys quietly took test-card "payments"."""
    refused = _manage("check", "--deploy")
    assert refused.returncode != 0
    assert "payments.E003" in refused.stderr and "PAYMENTS_SANDBOX_TAKES_NO_MONEY" in refused.stderr
    allowed = _manage("check", "--deploy", "--fail-level", "WARNING", PAYMENTS_SANDBOX_TAKES_NO_MONEY="true")
    assert allowed.returncode == 0, allowed.stderr


def test_the_web_server_refuses_to_serve_without_a_real_provider():
    """gunicorn runs no system checks: loading the WSGI application runs them instead."""
    load = "import portal.wsgi; print('served')"
    refused = _python("-c", load)
    assert refused.returncode != 0
    assert "payments.E003" in refused.stderr and "served" not in refused.stdout
    allowed = _python("-c", load, PAYMENTS_SANDBOX_TAKES_NO_MONEY="true")
    assert allowed.returncode == 0, allowed.stderr
    assert "served" in allowed.stdout


# --- Every sandbox page and receipt says TEST -----------------------------------------------


@pytest.mark.django_db
def test_every_page_and_receipt_of_a_sandbox_payment_says_test(web, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    case, payment = fee_case()
    web.force_login(case.resident)
    pay_page = web.get(reverse("payments:pay", kwargs={"reference": payment.reference})).content.decode()
    assert "TEST payment – no money will be taken" in pay_page

    sandbox_url = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))["Location"]
    assert "TEST PAYMENT PAGE" in web.get(sandbox_url).content.decode()
    result = web.post(sandbox_url, {"card_number": "4242424242424242", **CARD}, follow=True)
    assert "Payment received" in result.content.decode() and TEST_NOTICE in result.content.decode()

    receipt = web.get(reverse("payments:receipt", kwargs={"reference": payment.reference})).content.decode()
    assert TEST_NOTICE in receipt
    email = next(m for m in mail.outbox if payment.reference in m.subject)
    assert email.body.startswith(TEST_NOTICE)
    assert TEST_NOTICE in web.get(reverse("payments:history")).content.decode()
    assert TEST_NOTICE in web.get(reverse("my_account")).content.decode()


@pytest.mark.django_db
def test_a_sandbox_payment_that_failed_and_one_in_progress_say_test(web, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    case, payment = fee_case()
    web.force_login(case.resident)
    sandbox_url = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))["Location"]
    pending = web.get(reverse("payments:result", kwargs={"reference": payment.reference})).content.decode()
    assert "TEST payment – no money will be taken" in pending
    failed = web.post(sandbox_url, {"card_number": "4000000000000002", **CARD}, follow=True).content.decode()
    assert "not successful" in failed and TEST_NOTICE in failed


@pytest.mark.django_db
def test_stripe_payments_do_not_say_test(web, fake_stripe, django_capture_on_commit_callbacks):
    case, payment = fee_case()
    web.force_login(case.resident)
    assert (
        "TEST payment"
        not in web.get(reverse("payments:pay", kwargs={"reference": payment.reference})).content.decode()
    )
    payment = payment_start(payment=payment)
    fake_stripe.complete(payment.provider_id)
    with django_capture_on_commit_callbacks(execute=True):
        payment_status_sync(payment=payment)
    for name in ("payments:result", "payments:receipt"):
        page = web.get(reverse(name, kwargs={"reference": payment.reference})).content.decode()
        assert payment.reference in page and "TEST payment" not in page
    assert "TEST payment" not in web.get(reverse("payments:history")).content.decode()
    assert all("TEST payment" not in m.body for m in mail.outbox)


@pytest.mark.django_db
def test_the_sandbox_card_page_is_gone_when_stripe_is_the_provider(web, settings):
    settings.PAYMENTS_PROVIDER = "sandbox"
    case, payment = fee_case()
    web.force_login(case.resident)
    sandbox_url = web.post(reverse("payments:pay", kwargs={"reference": payment.reference}))["Location"]
    assert web.get(sandbox_url).status_code == 200
    settings.PAYMENTS_PROVIDER = "stripe"
    assert web.get(sandbox_url).status_code == 404
    assert web.post(sandbox_url, {"card_number": "4242424242424242", **CARD}).status_code == 404
    assert SandboxCheckout.objects.get().status == "open"
