from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "portal.contact_centre"
    label = "contact_centre"
    verbose_name = "Contact centre"
