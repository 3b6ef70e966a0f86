"""Retry with backoff for background work: one rule for every task that re-enqueues itself.

Django's tasks API has no retries of its own; a task that fails schedules itself again with
``run_after``. When the backend cannot defer (the immediate backend in development and
tests), a failed attempt is *not* re-run at once, which would loop: the housekeeping jobs
(``tasks_housekeeping``, ``payments_housekeeping``) pick the work up again later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.tasks import Task, default_task_backend
from django.utils import timezone


def backoff_delay(attempts: int, delays: Sequence[int]) -> int:
    """Seconds to wait before attempt ``attempts + 1``: the schedule's step, its last one after that."""
    if attempts <= 0 or not delays:
        return 0
    return delays[min(attempts - 1, len(delays) - 1)]


def task_enqueue(task: Task, *args: Any, delay_seconds: int = 0) -> bool:
    """Queue ``task(*args)``, ``delay_seconds`` from now. Returns whether it was queued.

    A delayed retry on a backend that cannot defer is left to the housekeeping jobs.
    """
    if delay_seconds:
        if not default_task_backend.supports_defer:
            return False
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(*args)
    return True
