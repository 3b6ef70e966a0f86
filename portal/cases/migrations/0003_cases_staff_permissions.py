from django.db import migrations

GRANTS = {
    "Case officers": ["view_case", "change_case"],
    "Service managers": ["view_case", "change_case", "add_team", "change_team", "view_team"],
}


def grant(apps, schema_editor):
    """Case officers work their teams' cases; service managers see and work every case.

    Which cases each sees is decided by portal.cases.permissions, not by these codenames.
    Service managers also set up teams and their members.
    """
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("cases")
    had_models_module = getattr(config, "models_module", None)
    config.models_module = had_models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = had_models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=group_name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_cases_attachments"),
        ("accounts", "0004_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
