"""A worker's heartbeat: a daemon thread that records the process as alive."""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_record(*, worker_id: str) -> None:
    """Record that ``worker_id`` is alive now."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "last_seen": now,
            "started_at": now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def heartbeat_remove(*, worker_id: str) -> None:
    """The worker stopped cleanly: anything it left running was not finished by it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class HeartbeatThread(threading.Thread):
    """Beats every ``TASKS_WORKER_HEARTBEAT_SECONDS`` until stopped, whatever the task does.

    A daemon thread, so a killed or exiting process simply stops beating. Each beat uses a
    fresh database connection (closed afterwards), and a failed beat (a locked SQLite
    file, a database restart) is logged and tried again on the next tick.
    """

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.interval = settings.TASKS_WORKER_HEARTBEAT_SECONDS
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                heartbeat_record(worker_id=self.worker_id)
            except DatabaseError as exc:
                logger.warning("Worker %s could not record its heartbeat: %s", self.worker_id, exc)
            finally:
                connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=self.interval + 5)
