from django.tasks import task

from . import services
from .providers.sandbox import sandbox_settle_due


@task
def process_webhook_event(event_pk: int) -> str:
    event = services.webhook_event_process(event_pk=event_pk)
    return event.status if event else "missing"


@task
def sandbox_settle() -> int:
    """The sandbox provider's delayed payments settling (each sends its webhook)."""
    return sandbox_settle_due()


@task
def payments_housekeeping() -> dict:
    """The periodic job (also ``manage.py payments_housekeeping``)."""
    return services.payments_housekeeping()
