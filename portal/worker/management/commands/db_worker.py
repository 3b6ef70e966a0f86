from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from portal.worker.heartbeat import HeartbeatThread, heartbeat_record, heartbeat_remove


class Command(DatabaseWorkerCommand):
    """django_tasks_db's worker, plus a heartbeat so the tasks of a worker that dies are retried.

    Same options as ``django_tasks_db``'s own ``db_worker``. The worker's first heartbeat is
    written before it claims anything; ``tasks_housekeeping`` queues again every task left
    running by a worker whose heartbeat has stopped.
    """

    help = DatabaseWorkerCommand.help + ", with a heartbeat so a dead worker's tasks are retried"

    def handle(self, *args, worker_id: str, **options) -> None:
        heartbeat_record(worker_id=worker_id)
        beating = HeartbeatThread(worker_id)
        beating.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            beating.stop()
            heartbeat_remove(worker_id=worker_id)
