"""The status API for back-office systems (``status_views``), under /api/back-office/v1/."""

from django.urls import path

from . import status_views
from .open311 import views as open311_views

app_name = "back_office_api"
urlpatterns = [
    path("cases/<str:reference>", status_views.case_detail, name="case"),
    path("cases/<str:reference>/updates", status_views.case_update, name="case_update"),
    path("remote/<str:remote_id>/updates", status_views.remote_update, name="remote_update"),
    # The OpenAPI document of this API and the Open311 server (H1's, one document for both).
    path("openapi.json", open311_views.openapi, name="openapi"),
]
