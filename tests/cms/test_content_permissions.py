import pytest

from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

CONTENT_APPS = ["cms", "wagtailredirects", "wagtailsearchpromotions"]
CONTENT = {
    "cms.add_alert",
    "cms.change_alert",
    "cms.delete_alert",
    "cms.publish_alert",
    "wagtailredirects.add_redirect",
    "wagtailredirects.change_redirect",
    "wagtailredirects.delete_redirect",
    "wagtailsearchpromotions.add_searchpromotion",
    "wagtailsearchpromotions.change_searchpromotion",
    "wagtailsearchpromotions.delete_searchpromotion",
    "cms.add_synonymgroup",
    "cms.change_synonymgroup",
    "cms.delete_synonymgroup",
}
EXPECTED = {
    "Editors": CONTENT,
    "Moderators": CONTENT | {"cms.change_councilsettings"},
    "Case officers": set(),
    "Service managers": set(),
    "Finance": set(),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_content_feature_permissions_by_group(name):
    perms = Group.objects.get(name=name).permissions.filter(content_type__app_label__in=CONTENT_APPS)
    assert {f"{p.content_type.app_label}.{p.codename}" for p in perms} == EXPECTED[name]
