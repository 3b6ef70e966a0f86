from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules

from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    default = True  # this module has two AppConfigs; "accounts" in INSTALLED_APPS means this one
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # reason: both read models, which load once the apps are ready
        from . import (
            audit,  # noqa: F401 - connects the staff audit-log receivers
            messages,  # noqa: F401 - registers My account's messages with the outbox
        )
        from .groups import staff_groups_sync_after_migrate  # reads Wagtail's snippet models, loaded only now

        # After every migrate, the staff groups get exactly what accounts/groups.py declares.
        post_migrate.connect(
            staff_groups_sync_after_migrate, sender=self, dispatch_uid="accounts.staff_groups_sync"
        )

        # Each app's personal_data.py registers what it holds for export and deletion.
        autodiscover_modules("personal_data")


class PortalWagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms that match our email-and-full-name user."""

    user_viewset = "accounts.admin_views.PortalUserViewSet"
