from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "portal.contact_centre"
    label = "contact_centre"
    verbose_name = "Contact centre"

    def ready(self):
        from . import demo  # reason: the demo loader reads models, which load once the apps are ready

        demo.register()
