"""Extra support a resident asks for: optional, explained, exported, and deleted with the account."""

import pytest

from django.urls import reverse

from accounts.constants import SupportNeed
from accounts.models import SupportNeeds
from accounts.personal_data import _support_needs
from accounts.services import account_delete, support_needs_update
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_page_explains_why_it_is_asked_and_who_sees_it(client):
    client.force_login(UserFactory())
    response = client.get(reverse("account_support_needs"))
    assert response.status_code == 200
    assert "You do not have to tell us" in response.text
    assert "Only council officers who work on residents" in response.text
    for need in SupportNeed:
        assert need.label in response.text


def test_a_resident_records_their_needs_and_sees_them_on_the_profile(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_support_needs"),
        {"needs": [SupportNeed.INTERPRETER, SupportNeed.LARGE_PRINT], "language": "Polish", "details": ""},
    )
    assert response.status_code == 302
    record = SupportNeeds.objects.get(user=user)
    assert record.needs == [SupportNeed.LARGE_PRINT, SupportNeed.INTERPRETER]
    assert record.language == "Polish"
    profile = client.get(reverse("account_profile")).text
    assert "An interpreter (Polish)" in profile
    assert "Large print" in profile


def test_an_interpreter_needs_a_language_and_nothing_typed_is_lost(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("account_support_needs"),
        {
            "needs": [SupportNeed.INTERPRETER, SupportNeed.CARER],
            "language": "",
            "details": "My son Sam calls",
        },
    )
    assert response.status_code == 200
    assert "Enter the language you need an interpreter for" in response.text
    assert "govuk-error-summary" in response.text
    assert "My son Sam calls" in response.text
    assert f'value="{SupportNeed.CARER.value}" checked' in response.text
    assert not SupportNeeds.objects.exists()


def test_clearing_every_answer_deletes_the_record(client):
    user = UserFactory()
    support_needs_update(user=user, needs=[SupportNeed.PHONE])
    client.force_login(user)
    client.post(reverse("account_support_needs"), {"language": "", "details": ""})
    assert not SupportNeeds.objects.filter(user=user).exists()
    assert "None asked for" in client.get(reverse("account_profile")).text


def test_the_language_is_only_kept_with_an_interpreter():
    user = UserFactory()
    record = support_needs_update(user=user, needs=[SupportNeed.BSL, "made_up"], language="Urdu")
    assert record.needs == [SupportNeed.BSL]
    assert record.language == ""


def test_support_needs_are_exported_and_deleted_with_the_account():
    user = UserFactory()
    assert _support_needs(user) is None
    support_needs_update(user=user, needs=[SupportNeed.READING], details="Please call after 2pm")
    exported = _support_needs(user)
    assert exported["needs"] == [SupportNeed.READING.label]
    assert exported["details"] == "Please call after 2pm"
    account_delete(user=user)
    assert not SupportNeeds.objects.exists()


def test_only_the_resident_reaches_their_support_needs_page(client):
    response = client.get(reverse("account_support_needs"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
