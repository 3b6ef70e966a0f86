"""Where signing in lands: staff in the admin, residents on My account, ``next`` over both."""

import pytest

from django.test import Client
from django.urls import reverse

from tests.accounts.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory, staff_in, totp_code
from tests.accounts.signin import sign_in

pytestmark = pytest.mark.django_db


def test_finance_staff_land_in_the_admin_after_their_code():
    finance = staff_in("Finance", email="finance@council.example")
    client = Client()
    response = sign_in(client, finance)  # password, then the authenticator app's code
    assert response["Location"] == reverse("wagtailadmin_home")
    assert client.get(response["Location"]).status_code == 200


def test_staff_go_to_the_next_url_when_there_is_one():
    officer = staff_in("Case officers", email="officer@council.example")
    client = Client()
    response = client.post(
        reverse("account_login") + "?next=/admin/cases/",
        {"login": officer.email, "password": DEFAULT_PASSWORD, "next": "/admin/cases/"},
    )
    assert response.status_code == 302
    response = sign_in_code(client, response)
    assert response["Location"] == "/admin/cases/"


def sign_in_code(client, response):
    assert response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code()})


def test_staff_without_2_step_verification_are_sent_to_set_it_up_from_the_admin():
    newcomer = StaffFactory(email="new.starter@council.example", mfa=False)
    client = Client()
    response = sign_in(client, newcomer)
    assert response["Location"] == reverse("wagtailadmin_home")
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_mfa_required"))


def test_residents_land_on_my_account():
    client = Client()
    response = sign_in(client, UserFactory())
    assert response["Location"] == reverse("my_account")
