from django.tasks import task

from . import housekeeping


@task
def tasks_housekeeping() -> dict[str, int]:
    """The periodic recovery of lost work as a task (also ``manage.py tasks_housekeeping``)."""
    return housekeeping.tasks_housekeeping()
