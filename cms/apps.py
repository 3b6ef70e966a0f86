from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _ensure_statutory_pages(sender: AppConfig, **kwargs: object) -> None:
    # imported late: the app registry is ready only once ready() runs
    from .services import statutory_pages_ensure

    # Making the pages bumps the content version in the cache: on a fresh install with the
    # database cache, its table must exist first (createcachetable does nothing otherwise).
    call_command("createcachetable", database=str(kwargs.get("using") or "default"), verbosity=0)
    statutory_pages_ensure()


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Content"

    def ready(self):
        # imported for their side effects: cached fragments follow publishing, alerts are
        # sent on publish and end on STOP; the alert messages are registered with the outbox
        from . import messages, receivers  # noqa: F401

        # Every install has the accessibility statement, privacy notice and cookies page, demo
        # or not (cms.statutory).
        post_migrate.connect(_ensure_statutory_pages, sender=self)
