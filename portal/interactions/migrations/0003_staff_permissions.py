from django.db import migrations

GRANTS = {
    "Case officers": ["add_assistedcontact", "change_assistedcontact", "view_assistedcontact"],
    "Service managers": ["view_assistedcontact", "view_contact_insights"],
}


def grant(apps, schema_editor):
    """Case officers record assisted contacts; service managers read the measures."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("interactions")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="interactions", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=group_name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="interactions", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0002_load_code_lists"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
