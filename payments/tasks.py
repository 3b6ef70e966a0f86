from django.tasks import task


@task
def process_webhook_event(event_pk: int) -> str:
    from .webhooks import webhook_event_process

    event = webhook_event_process(event_pk=event_pk)
    return event.status if event else "missing"


@task
def sandbox_settle() -> int:
    """The sandbox provider's delayed payments settling (each sends its webhook)."""
    from .providers.sandbox import sandbox_settle_due

    return sandbox_settle_due()


@task
def payments_housekeeping() -> dict:
    """The periodic job (also ``manage.py payments_housekeeping``)."""
    from .services import payments_housekeeping as run

    return run()
