from django.apps import AppConfig

from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"


class PortalWagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms that match our email-and-full-name user."""

    user_viewset = "accounts.wagtail_views.PortalUserViewSet"
