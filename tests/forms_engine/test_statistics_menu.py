"""Service managers reach each form's statistics from the admin menu (Reports > Form statistics)."""

import pytest

from django.urls import reverse

from tests.accounts.factories import staff_in
from tests.forms_engine.factories import missed_bin_form

pytestmark = pytest.mark.django_db

INDEX = "/admin/form-statistics/"


@pytest.mark.parametrize("group", ["Service managers", "Editors"])
def test_those_who_may_read_form_statistics_have_a_menu_item_to_every_form(client, group):
    form = missed_bin_form()
    client.force_login(staff_in(group))
    home = client.get("/admin/")
    assert INDEX in home.text and "Form statistics" in home.text

    response = client.get(INDEX)
    assert response.status_code == 200
    statistics = f"/admin/forms/statistics/{form.pk}/"
    assert f'href="{statistics}"' in response.text
    assert client.get(statistics).status_code == 200


@pytest.mark.parametrize("group", ["Case officers", "Finance"])
def test_other_staff_have_no_menu_item_and_are_turned_away(client, group):
    client.force_login(staff_in(group))
    assert INDEX not in client.get("/admin/").text
    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
