import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.models import Page

from tests.accounts.factories import StaffFactory, UserFactory

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
