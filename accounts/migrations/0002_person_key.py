import uuid

from django.db import migrations, models

import accounts.models


def fill_person_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk in User.objects.filter(person_key__isnull=True).values_list("pk", flat=True).iterator():
        User.objects.filter(pk=pk).update(person_key=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="person_key",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_person_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="person_key",
            field=models.CharField(
                default=accounts.models.new_person_key, editable=False, max_length=32, unique=True
            ),
        ),
    ]
