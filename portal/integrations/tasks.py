"""The integrations' background tasks: thin, over ``services``."""

from django.tasks import task

from .services.deliveries import delivery_attempt


@task
def deliver(delivery_id: int, resent_by_id: int | None = None) -> str:
    """One attempt at a delivery (queued on commit, on retry and by the housekeeping)."""
    delivery = delivery_attempt(delivery_id, resent_by_id=resent_by_id)
    return delivery.status if delivery else "missing"
