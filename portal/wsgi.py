import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

application = get_wsgi_application()


def _refuse_to_start_when_misconfigured() -> None:
    """gunicorn runs no system checks: a web process that would take test payments stops here
    instead of serving. Checks tagged "startup" need no database, so a database that is down
    still gets a served 503 from /healthz rather than a process that will not start."""
    serious = [message for message in checks.run_checks(tags=["startup"]) if message.is_serious()]
    if serious:
        raise ImproperlyConfigured("\n".join(str(message) for message in serious))


_refuse_to_start_when_misconfigured()
