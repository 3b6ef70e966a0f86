from django.apps import AppConfig
from django.core import checks

from .checks import notify_settings_check


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        checks.register(notify_settings_check)
