from django.tasks import task

from .services import notification_deliver


@task
def deliver_notification(notification_id: str) -> str:
    notification = notification_deliver(notification_id=notification_id)
    return notification.status if notification else "missing"
