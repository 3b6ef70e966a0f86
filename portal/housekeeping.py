"""Recovering claimed work that did not finish, for every task type and the email outbox."""

from accounts.services import data_exports_resume
from cms.services import alert_sendings_resume
from portal.notifications.inbound import inbound_texts_requeue
from portal.notifications.services import notification_housekeeping, notification_receipts_poll
from portal.worker.services import heartbeats_prune, task_results_recover


def tasks_housekeeping() -> dict[str, int]:
    """Queue again the tasks of workers that stopped, the emails whose attempt was lost, and
    failed work whose retry the task backend could not defer (data exports).

    Safe to run at any time and from several places at once: every change is conditional,
    and work queued twice is done once (tasks are idempotent; the outbox claims each email).
    """
    tasks = task_results_recover()
    emails = notification_housekeeping()
    receipts = notification_receipts_poll()
    texts = inbound_texts_requeue()
    alerts = alert_sendings_resume()
    exports = data_exports_resume()
    return {
        "tasks_requeued": tasks["requeued"],
        "tasks_failed": tasks["failed"],
        "emails_lost_attempts": emails["lost_attempts"],
        "emails_overdue": emails["overdue"],
        "receipts_polled": receipts["polled"],
        "receipts_changed": receipts["changed"],
        "received_texts_requeued": texts,
        "alert_sendings_resumed": alerts,
        "data_exports_resumed": exports,
        "workers_forgotten": heartbeats_prune(),
    }
