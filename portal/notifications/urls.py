from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("callbacks/notify/receipts/", views.notify_receipt, name="notify_receipts"),
    path("callbacks/notify/inbound/", views.notify_inbound, name="notify_inbound"),
]
