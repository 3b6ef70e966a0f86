"""Content features' permissions for the content groups (the rest is accounts/0004).

Editors and Moderators manage site alerts, redirects and promoted search results;
Moderators, who publish, also change the council settings (name, contact details,
cost per transaction).
"""

from django.db import migrations

CONTENT = [
    ("cms", "add_alert"),
    ("cms", "change_alert"),
    ("cms", "delete_alert"),
    ("wagtailredirects", "add_redirect"),
    ("wagtailredirects", "change_redirect"),
    ("wagtailredirects", "delete_redirect"),
    ("wagtailsearchpromotions", "add_searchpromotion"),
    ("wagtailsearchpromotions", "change_searchpromotion"),
    ("wagtailsearchpromotions", "delete_searchpromotion"),
]
GRANTS = {
    "Editors": CONTENT,
    "Moderators": [*CONTENT, ("cms", "change_councilsettings")],
}


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    return [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for label in ("cms", "wagtailredirects", "wagtailsearchpromotions"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, pairs in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, pairs))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, pairs in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, pairs))


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_moderation_workflow"),
        ("accounts", "0004_staff_group_permissions"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtailsearchpromotions", "0008_query_verbose_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
