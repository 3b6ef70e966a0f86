from django.apps import AppConfig


class FormsEngineConfig(AppConfig):
    name = "forms_engine"
    verbose_name = "Service request forms"

    def ready(self):
        # imported for its side effect: it registers the forms' messages with the outbox
        from . import messages  # noqa: F401
