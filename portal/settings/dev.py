"""Local development: `make run`. Never use these settings on a server."""

from .base import *  # noqa: F403
from .env import env

DEBUG = True
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
PORTAL_ALLOW_DEMO_DATA = env("PORTAL_ALLOW_DEMO_DATA", default=True, cast=bool)
# Run tasks in the web process so a first run needs no worker; set
# TASKS_BACKEND=django_tasks_db.DatabaseBackend to try the production queue.
TASKS = {
    "default": {"BACKEND": env("TASKS_BACKEND", default="django.tasks.backends.immediate.ImmediateBackend")}
}
