from datetime import date
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from wagtail.models import Revision

from cms.models import CouncilSettings, HomePage
from payments.models import Bill
from portal.cases.models import Case

pytestmark = pytest.mark.django_db
User = get_user_model()


def _snapshot():
    return {
        # key=str: a record kept without an account has no email (NULL)
        "users": sorted(User.objects.values_list("email", "password", "is_staff", "full_name"), key=str),
        "emails": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        "authenticators": sorted(Authenticator.objects.values_list("user__email", "type", "data")),
        "revisions": Revision.objects.count(),
        "settings": list(CouncilSettings.objects.values()),
        "home": HomePage.objects.get().body.get_prep_value(),
        "cases": sorted(Case.objects.values_list("reference", "status")),
        "bills": sorted(Bill.objects.values_list("reference", "amount_due_pence")),
    }


def test_demo_data_loads_accounts_and_content_and_a_second_run_changes_nothing(client):
    call_command("load_demo")
    first = _snapshot()
    # The contact centre's demo: an agent, a caller with no account, and a form left online.
    assert User.objects.get(email="agent@example.com").groups.filter(name="Contact centre").exists()
    assert User.objects.filter(has_account=False, full_name="Pat Caller", email__isnull=True).count() == 1
    assert User.objects.get(email="resident@example.com").form_drafts.count() == 1
    call_command("load_demo")
    assert _snapshot() == first

    resident = User.objects.get(email="resident@example.com")
    officer = User.objects.get(email="officer@example.com")
    assert resident.check_password("demo-portal-2026")
    assert officer.check_password("demo-portal-2026")
    assert not resident.is_staff
    assert officer.is_staff
    assert officer.groups.filter(name="Case officers").exists()
    assert EmailAddress.objects.get(email="resident@example.com").verified
    assert User.objects.get(email="finance@example.com").groups.filter(name="Finance").exists()
    # Someone can approve what the editors submit (tests/cms/test_moderation_demo.py).
    moderator = User.objects.get(email="moderator@example.com")
    assert moderator.is_staff and moderator.check_password("demo-portal-2026")
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    assert Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists()

    # The resident has a history to follow; the officer has a queue, some of it late.
    mine = Case.objects.filter(resident=resident)
    assert sorted(mine.values_list("status", flat=True)) == ["awaiting_resident", "in_progress", "resolved"]
    assert Case.objects.filter(resident=None, due_on__lt=date.today()).count() == 2
    assert all(case.events.exists() for case in Case.objects.all())
    assert Bill.objects.count() == 2

    # Staff sign in with the password and then the demo authenticator app's code.
    response = client.post(
        "/accounts/login/", {"login": "officer@example.com", "password": "demo-portal-2026"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    out = StringIO()
    call_command("demo_totp_code", "officer@example.com", stdout=out)
    code = out.getvalue().strip()
    assert code.isdigit() and len(code) == 6
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not Authenticator.objects.filter(user=resident).exists()


def test_load_demo_prints_the_staff_authenticator_key():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA" in out.getvalue()
    assert "otpauth://totp/" in out.getvalue()


def test_the_demo_code_command_only_serves_demo_staff():
    call_command("load_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="Only the demo staff"):
        call_command("demo_totp_code", "resident@example.com", stdout=StringIO())


@override_settings(PORTAL_ALLOW_DEMO_DATA=False)
def test_the_demo_code_command_is_refused_when_demo_data_is_not_allowed():
    with pytest.raises(CommandError, match="Demo data is disabled"):
        call_command("demo_totp_code", "officer@example.com", stdout=StringIO())


@override_settings(PORTAL_ALLOW_DEMO_DATA=False)
def test_demo_data_is_refused_when_not_allowed():
    with pytest.raises(CommandError, match="Demo data is disabled"):
        call_command("load_demo")
    assert not User.objects.filter(email__endswith="@example.com").exists()
