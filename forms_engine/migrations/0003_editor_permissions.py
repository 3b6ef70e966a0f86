"""Editors and Moderators build, publish and archive online forms (Wagtail's "Forms").

Wagtail adds a snippet's ``publish`` permission after migrations run (post_migrate), so it
is created here when missing, with the same name Wagtail gives it.
"""

from django.db import migrations

CODENAMES = ["add_serviceform", "change_serviceform", "delete_serviceform", "publish_serviceform"]
GROUPS = ["Editors", "Moderators"]


def _permissions(apps):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("forms_engine")
    had_models_module = getattr(config, "models_module", None)
    config.models_module = had_models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = had_models_module
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="forms_engine", model="serviceform")
    Permission.objects.get_or_create(
        content_type=content_type,
        codename="publish_serviceform",
        defaults={"name": "Can publish service form"},
    )
    return list(Permission.objects.filter(content_type=content_type, codename__in=CODENAMES))


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    permissions = _permissions(apps)
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="forms_engine", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("forms_engine", "0002_runtime_upload_private_storage"),
        ("accounts", "0004_staff_group_permissions"),
        ("cms", "0006_content_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
