from django.db import migrations

FINANCE = [
    "view_payment",
    "refund_payment",
    "reconcile_payments",
    "add_bill",
    "change_bill",
    "view_bill",
]


def grant(apps, schema_editor):
    """Finance sees every payment, refunds, reconciles, and creates, edits and imports bills.

    Nobody can add, edit or delete a payment in the admin (see payments.admin_views), and
    no group may delete a bill: bills with payments are financial records.
    """
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("payments")
    had_models_module = getattr(config, "models_module", None)
    config.models_module = had_models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = had_models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__in=FINANCE)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Finance"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="payments", codename__in=FINANCE)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_payment_finance_permissions"),
        ("accounts", "0004_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
