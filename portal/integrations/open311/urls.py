"""/open311/v2/: the Open311 GeoReport v2 server (each address in ``.json`` or ``.xml``)."""

from django.urls import path, re_path, register_converter

from . import views


class FormatConverter:
    """The answer's format: the address's extension."""

    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "o311fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<o311fmt:fmt>", views.discovery, name="discovery"),
    path("services.<o311fmt:fmt>", views.services, name="services"),
    path("services/<str:code>.<o311fmt:fmt>", views.service_definition, name="service"),
    path("requests.<o311fmt:fmt>", views.requests_view, name="requests"),
    path("requests/<str:request_id>.<o311fmt:fmt>", views.request_detail, name="request"),
    path("servicerequestupdates.<o311fmt:fmt>", views.request_updates, name="updates"),
    path("openapi.json", views.openapi, name="openapi"),
    # Anything else under /open311/v2/ answers in the spec's error format (last).
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
