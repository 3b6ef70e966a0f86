from django.http import HttpResponse
from django.urls import path

PAGE = (
    "<!DOCTYPE html><html><head><title>Bare</title></head><body>" + "<p>" + "x" * 2000 + "</p></body></html>"
)


def bare(request):
    return HttpResponse(PAGE)


urlpatterns = [path("", bare)]
