from django.tasks import task

from .inbound import inbound_text_process
from .services import notification_deliver, notify_receipt_process


@task
def deliver_notification(notification_id: str) -> str:
    notification = notification_deliver(notification_id=notification_id)
    return notification.status if notification else "missing"


@task
def process_notify_receipt(receipt_id: int) -> str:
    receipt = notify_receipt_process(receipt_id=receipt_id)
    return receipt.outcome if receipt else "missing"


@task
def process_inbound_text(inbound_id: int) -> str:
    text = inbound_text_process(inbound_id=inbound_id)
    return text.outcome if text else "missing"
