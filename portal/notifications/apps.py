from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate

from .checks import notify_settings_check


def _ensure_message_templates(sender: AppConfig, **kwargs: object) -> None:
    # imported late: the app registry is ready only once ready() runs
    from .services import message_templates_ensure

    message_templates_ensure()


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        checks.register(notify_settings_check)
        post_migrate.connect(_ensure_message_templates, sender=self)
