import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.models import Page

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_login_goes_through_the_portal_sign_in(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/admin/pages/"

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_django_admin_login_goes_through_the_portal_sign_in(client):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_resident_cannot_use_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert client.get("/django-admin/").status_code == 302


def test_an_editor_can_open_the_home_page_editor(client):
    editor = StaffFactory()
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    home = Page.objects.get(depth=2)
    response = client.get(f"/admin/pages/{home.pk}/edit/")
    assert response.status_code == 200
    assert "Welcome to your council online" in response.text


def test_staff_groups_exist():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Editors", "Moderators", "Case officers", "Service managers", "Finance"} <= names


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
