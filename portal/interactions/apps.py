from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "portal.interactions"
    label = "interactions"
    verbose_name = "Interaction log"

    def ready(self):
        from . import receivers  # noqa: F401 - in ready(): connects the sign-in receivers once the apps are loaded
