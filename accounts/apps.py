from django.apps import AppConfig

from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    default = True  # this module has two AppConfigs; "accounts" in INSTALLED_APPS means this one
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import audit  # noqa: F401 - connects the staff audit-log receivers

        # Each app's personal_data.py registers what it holds for export and deletion.
        autodiscover_modules("personal_data")


class PortalWagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms that match our email-and-full-name user."""

    user_viewset = "accounts.wagtail_views.PortalUserViewSet"
