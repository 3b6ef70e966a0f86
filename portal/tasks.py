from django.tasks import task


@task
def tasks_housekeeping() -> dict[str, int]:
    """The periodic recovery of lost work as a task (also ``manage.py tasks_housekeeping``)."""
    from .housekeeping import tasks_housekeeping as run

    return run()
