# Written by hand: only the start button's web address, which may now be a path on
# this site such as /pay/. Another 0002 made at the same time is reconciled with a merge migration.

from django.db import migrations, models

import cms.models


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicepage",
            name="start_url",
            field=models.CharField(
                blank=True,
                help_text="…or the online service on another site (https://…), or a service of this "
                "site that is not a page, such as /pay/ to pay a bill.",
                max_length=200,
                validators=[cms.models.start_url_validate],
                verbose_name="start url",
            ),
        ),
    ]
