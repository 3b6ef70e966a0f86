"""The log never holds a working link: URL arguments named ``token`` are replaced."""

import pytest

from django.test import Client

from payments.services import payment_link_create
from portal.interactions.models import Interaction
from tests.accounts.factories import StaffFactory
from tests.payments.factories import fee_case

pytestmark = pytest.mark.django_db


def test_a_payment_link_opened_and_used_is_logged_without_its_token():
    case, payment = fee_case(amount_pence=2500)
    _link, url = payment_link_create(staff=StaffFactory(), payment=payment)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    client = Client()
    assert client.get(url).status_code == 200
    client.post(url)  # on to the payment page: payment_start is logged from this request
    paths = list(Interaction.objects.values_list("path", flat=True))
    assert "/pay/link/[token]/" in paths
    assert not any(token in path for path in paths)
