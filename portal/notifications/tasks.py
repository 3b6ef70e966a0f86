from django.tasks import task

from .services import notification_deliver, notify_receipt_process


@task
def deliver_notification(notification_id: str) -> str:
    notification = notification_deliver(notification_id=notification_id)
    return notification.status if notification else "missing"


@task
def process_notify_receipt(receipt_id: int) -> str:
    receipt = notify_receipt_process(receipt_id=receipt_id)
    return receipt.outcome if receipt else "missing"
