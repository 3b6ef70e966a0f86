from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """The portal's connections to other systems: Open311 in and out, deliveries of
    submissions to back offices, and status updates coming back (docs/design.md)."""

    name = "portal.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        # reason: the services read models, which load once the apps are ready
        from . import messages  # noqa: F401 - registers the delivery-failure alert with the outbox
        from .services import deliveries  # reason: as above

        deliveries.register()
