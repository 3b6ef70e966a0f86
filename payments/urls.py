from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("pay/", views.bill_start, name="bill_start"),
    path("pay/amount/", views.bill_amount, name="bill_amount"),
    path("pay/link/<str:token>/", views.link, name="link"),
    path("my-account/payments/", views.history, name="history"),
    path("payments/sandbox/<str:checkout_id>/", views.sandbox, name="sandbox"),
    path("payments/webhooks/<str:provider>/", views.webhook, name="webhook"),
    path("payments/<str:reference>/", views.pay, name="pay"),
    path("payments/<str:reference>/return/", views.payment_return, name="return"),
    path("payments/<str:reference>/cancel/", views.payment_cancel, name="cancel"),
    path("payments/<str:reference>/result/", views.result, name="result"),
    path("payments/<str:reference>/retry/", views.retry, name="retry"),
    path("payments/<str:reference>/receipt/", views.receipt, name="receipt"),
]
