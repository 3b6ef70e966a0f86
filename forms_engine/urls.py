from django.urls import path

from . import views

app_name = "forms_engine"

urlpatterns = [
    path("files/<uuid:pk>/", views.upload_download, name="upload"),
    path("resume/<str:token>/", views.resume, name="resume"),
    path("<slug:slug>/", views.start, name="start"),
    path("<slug:slug>/done/<uuid:key>/", views.done, name="done"),
    path("<slug:slug>/<uuid:draft>/", views.resume_draft, name="resume_draft"),
    path("<slug:slug>/<uuid:draft>/step/<int:number>/", views.step, name="step"),
    path("<slug:slug>/<uuid:draft>/check/", views.check, name="check"),
    path("<slug:slug>/<uuid:draft>/saved/", views.saved, name="saved"),
    path("<slug:slug>/<uuid:draft>/files/<uuid:upload>/remove/", views.remove_upload, name="remove_upload"),
]
