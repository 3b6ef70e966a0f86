"""Wagtail API v2: the same content as JSON for apps, chatbots and voice.

Endpoints (all read-only, anonymous): ``pages`` (every page type's fields), ``services``
(the service catalogue), ``images`` (with renditions) and ``documents``. Only live pages
without view restrictions are served, whoever asks: the API is public, so a page behind
a login or password never appears, even to a signed-in browser session.
"""

from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import PageSerializer
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.serializers import ImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page, get_page_models

from .api_blocks import image_representation
from .models import ServicePage
from .page_cache import cached_api_view


def service_page_models() -> list:
    """Page types that carry an LGSL service (a ``service`` foreign key)."""
    return [
        model
        for model in get_page_models()
        if any(f.name == "service" and f.is_relation for f in model._meta.get_fields())
    ]


class ServiceCodeFilter(BaseFilterBackend):
    """``?service_code=524``: pages about one LGSL service (service pages and guides)."""

    def filter_queryset(self, request, queryset, view):
        raw = request.GET.get("service_code")
        if raw is None:
            return queryset
        try:
            code = int(raw)
        except ValueError as e:
            raise BadRequestError("service_code must be a whole number, e.g. 524") from e
        if any(f.name == "service" for f in queryset.model._meta.get_fields()):
            return queryset.filter(service_id=code)
        about_service = Q()
        for model in service_page_models():
            about_service |= Q(pk__in=model.objects.filter(service_id=code).values("pk"))
        return queryset.filter(about_service) if about_service else queryset.none()


class PageFullUrlField(serializers.Field):
    """A page's full URL, reading the sites' root paths once per request (not once per page)."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, page):
        return page.get_full_url(self.context.get("request"))


class PublicPageSerializer(PageSerializer):
    html_url = PageFullUrlField(read_only=True)


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint, restricted to pages anyone may see, with a service code filter."""

    base_serializer_class = PublicPageSerializer
    filter_backends = [ServiceCodeFilter, *PagesAPIViewSet.filter_backends]
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["service_code"])

    def get_base_queryset(self):
        return super().get_base_queryset().public()


class StartUrlField(serializers.Field):
    """Where a service's start button goes: the form page on this site, or the external service."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, service):
        if service.start_form_id:
            path = service.start_link
            request = self.context.get("request")
            if not path:
                return ""
            return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path
        if service.start_page_id:
            return service.start_page.get_full_url(self.context.get("request")) or ""
        if service.start_url.startswith("/"):  # a service of this site, such as /pay/
            request = self.context.get("request")
            path = service.start_url
            return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path
        return service.start_url


class ServiceCatalogueSerializer(PublicPageSerializer):
    service_code = serializers.IntegerField(source="service_id", read_only=True)
    service_name = serializers.CharField(source="service.label", read_only=True, default=None)
    start_url = StartUrlField(read_only=True)
    category = serializers.CharField(source="category_title", read_only=True, default="")


class ServiceCatalogueAPIViewSet(PublicPagesAPIViewSet):
    """``/api/v2/services/``: every live public service, A to Z, in one list.

    Each has its LGSL code and name, title, summary, start URL (the online form or
    external service), category and page URL (``meta.html_url``).
    """

    base_serializer_class = ServiceCatalogueSerializer
    name = "services"
    model = ServicePage
    body_fields = [
        *PagesAPIViewSet.body_fields,
        "service_code",
        "service_name",
        "summary",
        "start_url",
        "category",
    ]
    listing_default_fields = [
        *PagesAPIViewSet.listing_default_fields,
        "service_code",
        "service_name",
        "summary",
        "start_url",
        "category",
    ]
    detail_only_fields = []

    def get_queryset(self):
        parent = Page.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen)
        ).values("title")[:1]
        return (
            ServicePage.objects.filter(pk__in=self.get_base_queryset().values("pk"))
            .select_related("service", "start_page", "start_form")
            .annotate(category_title=Subquery(parent))
            .order_by("title", "pk")
        )

    def get_object(self):
        # The detail view reads the same annotated queryset as the listing.
        return super(PagesAPIViewSet, self).get_object()


class RenditionsField(serializers.Field):
    def get_attribute(self, instance):
        return instance

    def to_representation(self, image):
        return image_representation(image)["renditions"]


class ImageWithRenditionsSerializer(ImageSerializer):
    renditions = RenditionsField(read_only=True)


class ImagesWithRenditionsAPIViewSet(ImagesAPIViewSet):
    """Wagtail's images endpoint; each image also lists its renditions (thumbnail, medium, large)."""

    base_serializer_class = ImageWithRenditionsSerializer
    body_fields = [*ImagesAPIViewSet.body_fields, "renditions"]
    listing_default_fields = [*ImagesAPIViewSet.listing_default_fields, "renditions"]


class CachingAPIRouter(WagtailAPIRouter):
    """Wagtail's router; anonymous JSON responses come from the page cache (``cms.page_cache``)."""

    def wrap_view(self, func):
        return cached_api_view(super().wrap_view(func))


api_router = CachingAPIRouter("wagtailapi")
# "pages" first: the router links any page (services included) to its pages endpoint.
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("services", ServiceCatalogueAPIViewSet)
api_router.register_endpoint("images", ImagesWithRenditionsAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)
