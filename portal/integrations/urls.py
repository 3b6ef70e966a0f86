"""The integrations' public addresses: the Open311 GeoReport v2 server and the status API."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("open311/v2/", include("portal.integrations.open311.urls")),
    path("api/back-office/v1/", include("portal.integrations.status_urls")),
    path("integrations/files/<str:token>/", views.file_download, name="integrations_file"),
]
