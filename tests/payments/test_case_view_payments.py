"""The staff case view lists the case's payments; only Finance gets the refund action."""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from tests.portal.cases.factories import officer_in, staff_in, team_make

from .factories import fee_case
from .test_sandbox_flow import _pay

pytestmark = pytest.mark.django_db


def test_the_case_view_shows_payments_and_finance_can_refund_from_it(web, client):
    team = team_make("Waste", "waste@council.example")
    case, payment = fee_case(team=team)
    web.force_login(case.resident)
    _pay(web, payment, "4242 4242 4242 4242")

    finance = staff_in("Service managers")
    finance.groups.add(Group.objects.get(name="Finance"))
    client.force_login(finance)
    page = client.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "Payments" in page and payment.reference in page and "£35" in page
    assert reverse("payments_admin:refund", args=[payment.pk]) in page
    assert reverse("finance_payments:inspect", args=[payment.pk]) in page

    officer = officer_in(team)
    client.force_login(officer)
    page = client.get(f"/admin/cases/{case.pk}/").content.decode()
    assert payment.reference in page
    assert reverse("payments_admin:refund", args=[payment.pk]) not in page
