from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self):
        # imported for its side effect: it registers the case messages with the outbox
        from . import messages  # noqa: F401
