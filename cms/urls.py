"""Public URLs of the content app that are not Wagtail pages."""

from django.urls import path

from wagtail.contrib.sitemaps.views import sitemap

from . import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("feedback/", views.page_feedback, name="page_feedback"),
    path("feedback/what-went-wrong/", views.page_feedback_reason, name="page_feedback_reason"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    # Service alerts by email or text: subscribe, confirm, unsubscribe (links in messages).
    path("alerts/subscribe/", views.alerts.subscribe, name="alert_subscribe"),
    path("alerts/subscribe/check/", views.alerts.subscribe_check, name="alert_subscribe_check"),
    path("alerts/confirm/<str:token>/", views.alerts.confirm, name="alert_confirm"),
    path("alerts/unsubscribe/<str:token>/", views.alerts.unsubscribe, name="alert_unsubscribe"),
    path("my-account/alerts/", views.alerts.subscriptions, name="alert_subscriptions"),
    path(
        "my-account/alerts/<int:pk>/stop/", views.alerts.subscription_cancel, name="alert_subscription_cancel"
    ),
]
