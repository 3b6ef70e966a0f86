"""A resident's details: cleaned and checked by the service, changed through GOV.UK pages."""

import pytest

from django.urls import reverse

from accounts.constants import ContactPreference
from accounts.selectors import profile_initial
from accounts.services import ProfileError, profile_update
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_update_cleans_and_saves_only_what_changed():
    user = UserFactory(full_name="Riley Resident")
    profile_update(
        user=user, address_line_1="1 High Street", town="Anytown", postcode="an1 1aa", uprn="100023336956"
    )
    user.refresh_from_db()
    assert (user.address_line_1, user.town, user.postcode, user.uprn) == (
        "1 High Street",
        "Anytown",
        "AN1 1AA",
        "100023336956",
    )
    assert user.full_name == "Riley Resident"

    # A new address without a UPRN drops the old one: it belonged to the old address.
    profile_update(user=user, address_line_1="2 Low Road")
    user.refresh_from_db()
    assert user.uprn == ""


def test_profile_update_refuses_unknown_fields():
    with pytest.raises(TypeError):
        profile_update(user=UserFactory(), is_staff=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "Enter your full name"),
        ({"address_line_1": "1 High Street"}, "town", "Enter town or city"),
        ({"address_line_1": "1 High Street", "town": "Anytown"}, "postcode", "Enter postcode"),
        ({"postcode": "nope"}, "postcode", "Enter a full UK postcode"),
        ({"contact_preference": "pigeon"}, "contact_preference", "Choose how"),
        ({"contact_preference": "sms"}, "contact_preference", "Enter a UK mobile number"),
        ({"contact_preference": "sms", "phone": "01632 960001"}, "phone", "Enter a UK mobile number"),
        ({"contact_preference": "post"}, "contact_preference", "Enter your address"),
    ],
)
def test_profile_update_explains_what_is_wrong(changes, field, message):
    user = UserFactory()
    with pytest.raises(ProfileError, match=message) as error:
        profile_update(user=user, **changes)
    assert error.value.field == field
    user.refresh_from_db()
    assert user.contact_preference == ContactPreference.EMAIL


def test_text_messages_need_a_mobile_and_the_mobile_cannot_then_be_removed():
    user = UserFactory()
    profile_update(user=user, contact_preference="sms", phone="07700 900982")
    user.refresh_from_db()
    assert (user.contact_preference, user.phone) == ("sms", "07700900982")
    with pytest.raises(ProfileError, match="mobile"):
        profile_update(user=user, phone="")


def test_profile_initial_gives_forms_what_they_can_prefill():
    user = UserFactory(full_name="Riley Resident", email="riley@example.org")
    profile_update(
        user=user, phone="07700900982", address_line_1="1 High St", town="Anytown", postcode="AN1 1AA"
    )
    initial = profile_initial(user)
    assert initial["full_name"] == "Riley Resident"
    assert initial["email"] == "riley@example.org"
    assert initial["postcode"] == "AN1 1AA"
    assert initial["contact_preference"] == "email"
    from django.contrib.auth.models import AnonymousUser

    assert profile_initial(AnonymousUser()) == {}


def test_the_profile_page_lists_the_details_with_change_links(client):
    user = UserFactory(full_name="Riley Resident")
    profile_update(
        user=user, phone="07700900982", address_line_1="1 High St", town="Anytown", postcode="AN1 1AA"
    )
    client.force_login(user)
    response = client.get(reverse("account_profile"))
    assert response.status_code == 200
    text = response.text
    assert "govuk-summary-list" in text
    assert "Riley Resident" in text
    assert "07700 900982" in text
    assert "1 High St<br>Anytown<br>AN1 1AA" in text
    for section in ("name", "phone", "address", "contact-preference"):
        assert reverse("account_profile_change", args=[section]) in text


def test_changing_the_address_through_the_form(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("account_profile_change", args=["address"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"address_line_1": "1 High St", "town": "Anytown", "postcode": "an1 1aa"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_profile")
    user.refresh_from_db()
    assert user.postcode == "AN1 1AA"


def test_a_form_error_shows_the_error_summary_and_keeps_what_was_typed(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("account_profile_change", args=["address"]),
        {"address_line_1": "1 High St", "town": "Anytown", "postcode": "not a postcode"},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert "<title>Error:" in response.text
    assert 'href="#id_postcode"' in response.text
    assert 'value="1 High St"' in response.text


def test_choosing_text_messages_with_a_mobile_number(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("account_profile_change", args=["contact-preference"])
    page = client.get(url)
    assert "Mobile number for text messages" in page.text
    response = client.post(url, {"contact_preference": "sms", "phone": ""})
    assert response.status_code == 200
    assert "Enter a UK mobile number" in response.text
    response = client.post(url, {"contact_preference": "sms", "phone": "07700 900982"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.contact_preference, user.phone) == ("sms", "07700900982")


def test_an_unknown_profile_section_is_404(client):
    client.force_login(UserFactory())
    assert client.get(reverse("account_profile_change", args=["password"])).status_code == 404


def test_my_account_links_to_the_new_pages(client):
    client.force_login(UserFactory())
    text = client.get(reverse("my_account")).text
    for name in ("account_profile", "account_security", "data_export", "account_delete"):
        assert reverse(name) in text
