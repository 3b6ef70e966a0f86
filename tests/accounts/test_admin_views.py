"""The Wagtail user admin (accounts.admin_views): one full-name field, no password set by staff."""

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_wagtail_user_admin_creates_a_user_with_a_full_name(client):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get("/admin/users/new/").status_code == 200
    response = client.post(
        "/admin/users/new/",
        {
            "email": "new.officer@council.example",
            "full_name": "Nia Officer",
            "groups": [Group.objects.get(name="Case officers").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = get_user_model().objects.get(email="new.officer@council.example")
    assert user.full_name == "Nia Officer"
    assert user.groups.filter(name="Case officers").exists()
    assert not user.has_usable_password()
