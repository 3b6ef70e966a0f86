from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        # Production refuses to run on the sandbox unless told it takes no money.
        from . import checks  # noqa: F401 - registers the system checks once the apps are loaded
