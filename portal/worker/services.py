"""Recovering background work left unfinished by a worker that stopped."""

import logging
from datetime import datetime, timedelta

from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class WorkerLostError(Exception):
    """Recorded on a task given up after its worker stopped ``TASKS_MAX_CLAIMS`` times."""


def task_results_recover(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again every task claimed by a worker that has stopped, or running too long.

    django_tasks_db marks a claimed task ``RUNNING`` and only its worker ever finishes it,
    so a worker that is killed mid-task (or whose machine goes) leaves it running for ever.
    A running task is taken back when:

    * its worker has not recorded a heartbeat for ``TASKS_WORKER_LOST_SECONDS`` (or has no
      heartbeat at all) and the task started longer ago than that; or
    * it started more than ``TASKS_MAX_RUNTIME_SECONDS`` ago, whatever its worker says
      (a hung worker).

    It goes back to ``READY`` (same id, arguments and priority) for any worker to claim, so
    it runs at least once more; tasks are idempotent, so a second run of work that had in
    fact finished changes nothing. A task already claimed ``TASKS_MAX_CLAIMS`` times is
    marked ``FAILED`` instead, so work that kills its worker every time stops being retried.
    Each change is a conditional update, so a worker finishing the task at the same moment,
    or another housekeeping run, never has its result overwritten.
    """
    now = now or timezone.now()
    lost_before = now - timedelta(seconds=settings.TASKS_WORKER_LOST_SECONDS)
    overdue_before = now - timedelta(seconds=settings.TASKS_MAX_RUNTIME_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=lost_before).values_list("worker_id", flat=True)
    )
    counts = {"requeued": 0, "failed": 0}
    running = DBTaskResult.objects.running().filter(started_at__lt=lost_before)
    for result in running.only("id", "task_path", "worker_ids", "started_at"):
        worker = result.worker_ids[-1] if result.worker_ids else None
        if worker in alive and result.started_at >= overdue_before:
            continue
        reason = (
            f"its worker {worker} stopped (no heartbeat for {settings.TASKS_WORKER_LOST_SECONDS}s)"
            if worker not in alive
            else f"it ran for more than {settings.TASKS_MAX_RUNTIME_SECONDS}s"
        )
        unchanged = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        )
        if len(result.worker_ids) >= settings.TASKS_MAX_CLAIMS:
            changed = unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLostError.__module__}.{WorkerLostError.__qualname__}",
                traceback=f"Given up after {len(result.worker_ids)} attempts: {reason}.",
                return_value=None,
            )
            outcome = "failed"
        else:
            changed = unchanged.update(status=TaskResultStatus.READY)
            outcome = "requeued"
        if changed:
            counts[outcome] += 1
            logger.warning("Task %s (%s) %s: %s", result.pk, result.task_path, outcome, reason)
    return counts


def heartbeats_prune(*, now: datetime | None = None) -> int:
    """Forget workers not seen for a day (they died without removing their heartbeat)."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()
    return deleted
