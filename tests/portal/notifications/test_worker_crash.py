"""A db_worker killed mid-send: the email is retried and delivered once.

Everything is real: the production settings, a scratch database (a SQLite file, or a
PostgreSQL database when DATABASE_URL points at PostgreSQL), ``manage.py db_worker``
processes, and an SMTP server on loopback that stalls the first delivery so the worker
is killed (SIGKILL) in the middle of sending.
"""

import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.portal.notifications.local_smtp import local_smtp_server
from tests.servers import ROOT, run_manage

LOST_SECONDS = 3  # TASKS_WORKER_LOST_SECONDS
LEASE_SECONDS = 4  # NOTIFICATIONS_SEND_LEASE_SECONDS

STATE = """
import json
from django_tasks_db.models import DBTaskResult
from portal.notifications.models import Notification
n = Notification.objects.get()
print(json.dumps({
    "id": str(n.pk), "status": n.status, "attempts": n.attempts, "last_error": n.last_error,
    "tasks": [
        {"id": str(t.id), "status": t.status, "workers": len(t.worker_ids)}
        # The email's tasks only: migrate also queues Wagtail's search and reference index
        # updates for the pages every install gets (statutory pages).
        for t in DBTaskResult.objects.filter(task_path__endswith="deliver_notification").order_by(
            "enqueued_at"
        )
    ],
}))
"""


@pytest.fixture
def database_url(tmp_path):
    """A database of the test's own, reachable from other processes."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(configured)
    name = f"{parts.path.lstrip('/') or 'portal'}_crash_{os.getpid()}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args, env):
    result = run_manage(*args, env=env)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _state(env) -> dict:
    return json.loads(_manage("shell", "--no-imports", "-c", STATE, env=env).strip().splitlines()[-1])


def test_an_email_whose_worker_is_killed_mid_send_is_delivered_exactly_once(database_url, tmp_path):
    with local_smtp_server() as smtp:
        env = {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": "worker-crash-test-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "My account <noreply@council.example>",
            "PAYMENTS_SANDBOX_TAKES_NO_MONEY": "true",
            "TASKS_WORKER_HEARTBEAT_SECONDS": "1",
            "TASKS_WORKER_LOST_SECONDS": str(LOST_SECONDS),
            "NOTIFICATIONS_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        _manage("migrate", "--noinput", env=env)
        _manage("createcachetable", env=env)
        _manage(
            "shell",
            "--no-imports",
            "-c",
            "from portal.notifications.services import notification_email_send; "
            "notification_email_send(to='resident@example.org', subject='Your collection', "
            "body_text='We will collect your sofa on Tuesday.')",
            env=env,
        )

        # The first worker claims the task and stalls mid-send; then it is killed outright.
        smtp.hang.set()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
        with open(tmp_path / "worker.log", "w") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-startup-delay",
                    "--no-reload",
                    "--interval",
                    "0.2",
                ],
                cwd=ROOT,
                env={**base, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                assert smtp.held.wait(90), (tmp_path / "worker.log").read_text()
            finally:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        killed_at = time.monotonic()
        smtp.hang.clear()

        before = _state(env)
        assert before["status"] == "sending"
        assert before["attempts"] == 1
        assert [t["status"] for t in before["tasks"]] == ["RUNNING"]
        assert smtp.messages == []

        # Once the worker's heartbeat and the attempt's lease have run out, the housekeeping
        # queues the work again, and a fresh worker delivers it.
        time.sleep(max(0.0, max(LOST_SECONDS, LEASE_SECONDS) + 1 - (time.monotonic() - killed_at)))
        report = _manage("tasks_housekeeping", env=env)
        assert "tasks_requeued: 1" in report
        assert "emails_lost_attempts: 1" in report
        _manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=env)

        after = _state(env)
        assert after["status"] == "delivered", after
        assert after["attempts"] == 2
        # The killed worker's own task ran again (claimed by two workers) and finished.
        assert after["tasks"][0] == {"id": before["tasks"][0]["id"], "status": "SUCCESSFUL", "workers": 2}
        assert {t["status"] for t in after["tasks"]} == {"SUCCESSFUL"}
        assert len(smtp.messages) == 1
        message = smtp.messages[0]
        assert message["To"] == "resident@example.org"
        assert message["Message-ID"] == f"<{after['id']}@council.example>"
        assert "sofa on Tuesday" in message.get_payload(decode=True).decode()

        # Nothing left to recover: another round sends nothing more.
        report = _manage("tasks_housekeeping", env=env)
        assert "tasks_requeued: 0" in report
        assert "emails_lost_attempts: 0" in report
        _manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=env)
        assert len(smtp.messages) == 1
