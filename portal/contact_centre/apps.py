from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "portal.contact_centre"
    label = "contact_centre"
    verbose_name = "Contact centre"

    def ready(self):
        # reason: both read models, which load once the apps are ready
        from . import (
            demo,  # reason: the demo loader reads models, which load once the apps are ready
            messages,  # noqa: F401 - registers the contact centre's messages with the outbox
        )

        demo.register()
