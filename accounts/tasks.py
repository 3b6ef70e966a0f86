from django.tasks import task

from .services import data_export_build


@task
def build_data_export(export_id: str) -> str:
    export = data_export_build(export_id=export_id)
    return export.status if export else "missing"
