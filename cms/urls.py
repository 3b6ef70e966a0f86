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
]
