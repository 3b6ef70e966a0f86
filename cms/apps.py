from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_statutory_pages(sender: AppConfig, **kwargs: object) -> None:
    # imported late: the app registry is ready only once ready() runs
    from .services import statutory_pages_ensure

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
