"""Tasks left running by a db_worker that stopped are queued again (every task type)."""

import io
from datetime import timedelta

import pytest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from portal.worker.models import WorkerHeartbeat
from portal.worker.services import task_results_recover

pytestmark = pytest.mark.django_db
LOST = 90


def _running(*, started_ago: int, workers: list[str], task_path="payments.tasks.process_webhook_event"):
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        run_after=now - timedelta(seconds=started_ago + 1),
        started_at=now - timedelta(seconds=started_ago),
        worker_ids=workers,
    )


def _beat(worker_id: str, *, ago: int) -> None:
    seen = timezone.now() - timedelta(seconds=ago)
    WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=seen, last_seen=seen)


def _status(result) -> str:
    result.refresh_from_db()
    return result.status


@override_settings(TASKS_WORKER_LOST_SECONDS=LOST, TASKS_MAX_RUNTIME_SECONDS=3600, TASKS_MAX_CLAIMS=5)
@pytest.mark.parametrize(
    "task_path",
    [
        "portal.notifications.tasks.deliver_notification",
        "payments.tasks.process_webhook_event",
        "accounts.tasks.build_data_export",
        "portal.interactions.tasks.build_rollups",
    ],
)
def test_a_task_whose_worker_stopped_is_queued_again(task_path):
    _beat("dead", ago=LOST + 5)
    silent = _running(started_ago=LOST + 30, workers=["dead"], task_path=task_path)
    vanished = _running(started_ago=LOST + 30, workers=["gone-without-a-heartbeat"], task_path=task_path)
    assert task_results_recover() == {"requeued": 2, "failed": 0}
    assert _status(silent) == _status(vanished) == TaskResultStatus.READY
    # Any worker can claim it again, with its arguments unchanged.
    assert DBTaskResult.objects.ready().filter(pk=silent.pk, args_kwargs={"args": [1], "kwargs": {}}).exists()


@override_settings(TASKS_WORKER_LOST_SECONDS=LOST, TASKS_MAX_RUNTIME_SECONDS=3600)
def test_a_task_of_a_live_worker_is_left_running():
    _beat("alive", ago=2)
    long_but_alive = _running(started_ago=LOST * 10, workers=["alive"])
    just_claimed = _running(started_ago=5, workers=["starting-up"])
    assert task_results_recover() == {"requeued": 0, "failed": 0}
    assert _status(long_but_alive) == _status(just_claimed) == TaskResultStatus.RUNNING


@override_settings(TASKS_WORKER_LOST_SECONDS=LOST, TASKS_MAX_RUNTIME_SECONDS=600)
def test_a_task_running_past_the_maximum_is_queued_again_even_if_its_worker_beats():
    _beat("hung", ago=1)
    hung = _running(started_ago=601, workers=["hung"])
    assert task_results_recover()["requeued"] == 1
    assert _status(hung) == TaskResultStatus.READY


@override_settings(TASKS_WORKER_LOST_SECONDS=LOST, TASKS_MAX_CLAIMS=3)
def test_a_task_that_loses_its_worker_every_time_is_given_up():
    poison = _running(started_ago=LOST + 30, workers=["w1", "w2", "w3"])
    assert task_results_recover() == {"requeued": 0, "failed": 1}
    poison.refresh_from_db()
    assert poison.status == TaskResultStatus.FAILED
    assert poison.exception_class_path == "portal.worker.services.WorkerLostError"
    assert "Given up after 3 attempts" in poison.traceback


@override_settings(TASKS_WORKER_LOST_SECONDS=LOST)
def test_the_housekeeping_command_reports_what_it_recovered():
    _running(started_ago=LOST + 30, workers=["gone"])
    _beat("forgotten", ago=2 * 86400)
    out = io.StringIO()
    call_command("tasks_housekeeping", stdout=out)
    assert "tasks_requeued: 1\n" in out.getvalue()
    assert "workers_forgotten: 1\n" in out.getvalue()
    assert not WorkerHeartbeat.objects.filter(worker_id="forgotten").exists()
