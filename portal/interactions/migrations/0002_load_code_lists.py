import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    """Load LGSL 2.01 services (with their LGDL headings) and LGIL interaction types."""
    LgslService = apps.get_model("interactions", "LgslService")
    LgilInteractionType = apps.get_model("interactions", "LgilInteractionType")
    with open(DATA / "lgsl_directory.csv", newline="", encoding="utf-8") as f:
        directory = {int(row["code"]): row["directory"] for row in csv.DictReader(f)}
    with open(DATA / "lgsl.csv", newline="", encoding="utf-8") as f:
        services = [
            LgslService(
                code=int(row["code"]),
                label=row["label"].strip(),
                directory=directory.get(int(row["code"]), ""),
            )
            for row in csv.DictReader(f)
        ]
    LgslService.objects.bulk_create(services, ignore_conflicts=True)
    with open(DATA / "lgil.csv", newline="", encoding="utf-8") as f:
        types = [
            LgilInteractionType(code=int(row["code"]), label=row["label"].strip())
            for row in csv.DictReader(f)
        ]
    LgilInteractionType.objects.bulk_create(types, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("interactions", "LgslService").objects.all().delete()
    apps.get_model("interactions", "LgilInteractionType").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
