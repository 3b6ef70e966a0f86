from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("my-account/cases/", views.case_list, name="list"),
    path("my-account/cases/add-requests/", views.case_claim_view, name="claim"),
    path("my-account/cases/<str:reference>/", views.case_detail, name="detail"),
    path("my-account/cases/<str:reference>/message/", views.case_message, name="message"),
    path("my-account/cases/<str:reference>/withdraw/", views.case_withdraw_view, name="withdraw"),
    path("my-account/cases/<str:reference>/reopen/", views.case_reopen_view, name="reopen"),
    path(
        "my-account/cases/<str:reference>/files/<uuid:pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("track/<str:token>/", views.case_track, name="track"),
    path("track/<str:token>/message/", views.track_message, name="track_message"),
    path("track/<str:token>/reopen/", views.track_reopen, name="track_reopen"),
    path(
        "my-account/cases/<str:reference>/satisfaction/",
        views.case_satisfaction,
        name="satisfaction",
    ),
    path("track/<str:token>/satisfaction/", views.track_satisfaction, name="track_satisfaction"),
]
