"""Finance in the Wagtail admin: payments (read-only, with refunds), bills and reconciliation."""

from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from . import admin_views
from .models import Bill, Payment

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(Payment, admin_views.payment_permission_policy, exact_class=True)
register_permission_policy(Bill, admin_views.bill_permission_policy, exact_class=True)


class FinanceGroup(ViewSetGroup):
    menu_label = "Finance"
    menu_icon = "tag"
    menu_order = 260
    items = (admin_views.PaymentViewSet, admin_views.BillViewSet)


@hooks.register("register_admin_viewset")
def register_finance():
    return FinanceGroup()


@hooks.register("register_admin_urls")
def register_finance_urls():
    return [
        path("finance/", include((admin_views.admin_urls(), "payments_admin"), namespace="payments_admin"))
    ]


class ReconciliationMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.can_reconcile(request.user)


@hooks.register("register_admin_menu_item")
def register_reconciliation_menu_item():
    return ReconciliationMenuItem(
        "Reconciliation",
        reverse("payments_admin:reconciliation"),
        name="reconciliation",
        icon_name="table",
        order=261,
    )
