from django.db import models


class WorkerHeartbeat(models.Model):
    """A running ``db_worker`` process, seen alive at ``last_seen``.

    Each worker writes its row every ``TASKS_WORKER_HEARTBEAT_SECONDS`` from a background
    thread and deletes it when it stops cleanly. A task still marked running whose worker
    has not been seen for ``TASKS_WORKER_LOST_SECONDS`` was lost with its worker (killed,
    out of memory, machine gone) and is queued again by ``tasks_housekeeping``.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname} pid {self.pid})"
