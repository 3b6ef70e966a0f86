from django.tasks import task

from .services import alert_send


@task
def send_alert(alert_id: int) -> dict[str, int]:
    """Send a published alert to its subscribers (batches; resumes where a run stopped)."""
    return alert_send(alert_id=alert_id)
