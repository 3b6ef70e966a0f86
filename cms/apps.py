from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Content"

    def ready(self):
        # imported for their side effects: cached fragments follow publishing, alerts are
        # sent on publish and end on STOP; the alert messages are registered with the outbox
        from . import messages, receivers  # noqa: F401
