from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        # Imported for their side effects: the system checks (production refuses to run on the
        # sandbox unless told it takes no money) and the payments' messages, for the outbox.
        from . import checks, messages  # noqa: F401
