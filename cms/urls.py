"""Public URLs of the content app that are not Wagtail pages."""

from django.urls import path

from wagtail.contrib.sitemaps.views import sitemap

from . import alert_views, views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("feedback/", views.page_feedback, name="page_feedback"),
    path("feedback/what-went-wrong/", views.page_feedback_reason, name="page_feedback_reason"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    # Service alerts by email or text: subscribe, confirm, unsubscribe (links in messages).
    path("alerts/subscribe/", alert_views.subscribe, name="alert_subscribe"),
    path("alerts/subscribe/check/", alert_views.subscribe_check, name="alert_subscribe_check"),
    path("alerts/confirm/<str:token>/", alert_views.confirm, name="alert_confirm"),
    path("alerts/unsubscribe/<str:token>/", alert_views.unsubscribe, name="alert_unsubscribe"),
    path("my-account/alerts/", alert_views.subscriptions, name="alert_subscriptions"),
    path(
        "my-account/alerts/<int:pk>/stop/", alert_views.subscription_cancel, name="alert_subscription_cancel"
    ),
]
