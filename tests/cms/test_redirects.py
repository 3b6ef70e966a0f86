"""Redirects (wagtail.contrib.redirects): editors manage them in the admin, and they work."""

import pytest

from django.contrib.auth.models import Group, Permission

from wagtail.contrib.redirects.models import Redirect

from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db

REDIRECT_PERMISSIONS = ["add_redirect", "change_redirect", "delete_redirect"]


@pytest.fixture
def editor():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="wagtailredirects", codename__in=REDIRECT_PERMISSIONS
        )
    )
    return user


def test_editors_see_redirects_in_the_admin_menu(client, editor):
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "/admin/redirects/" in response.text


def test_a_redirect_created_in_the_admin_sends_people_on(client, editor, site):
    client.force_login(editor)
    response = client.post(
        "/admin/redirects/add/",
        {
            "old_path": "/bins/bulky-items/",
            "site": "",
            "is_permanent": "on",
            "redirect_page": site.bulky.pk,
            "redirect_link": "",
        },
    )
    assert response.status_code == 302, response.content
    redirect = Redirect.objects.get()
    assert redirect.old_path == "/bins/bulky-items"
    client.logout()

    response = client.get("/bins/bulky-items/")
    assert response.status_code == 301
    assert response["Location"] == "/bins/bulky-waste/"
    assert client.get("/bins/bulky-items").status_code == 301


def test_a_temporary_redirect_to_another_site(client, db):
    Redirect.add_redirect("/old-parking-permits", "https://parking.council.example/", is_permanent=False)
    response = client.get("/old-parking-permits/")
    assert response.status_code == 302
    assert response["Location"] == "https://parking.council.example/"
