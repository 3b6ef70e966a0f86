"""How StreamField blocks appear in the headless API (``/api/v2/``).

Wagtail gives a chosen page, image or document as its bare id; apps, chatbots and voice
assistants need something they can use. These mixins add it alongside the ids.
Rich text inside blocks is already display HTML with links resolved
(``WAGTAILAPI_RICH_TEXT_FORMAT = "html"``).
"""

from wagtail.images.api.fields import ImageRenditionField

# Renditions every image in the API comes with (Wagtail filter specs).
IMAGE_RENDITIONS = {"thumbnail": "fill-320x240", "medium": "max-800x600", "large": "max-1600x1200"}


def _request(context):
    return (context or {}).get("request")


def page_link(page, context) -> str:
    if page is None:
        return ""
    return page.get_full_url(_request(context)) or ""


def image_representation(image) -> dict | None:
    if image is None:
        return None
    return {
        "id": image.pk,
        "title": image.title,
        "width": image.width,
        "height": image.height,
        "renditions": {
            name: ImageRenditionField(spec).to_representation(image)
            for name, spec in IMAGE_RENDITIONS.items()
        },
    }


def document_representation(document, context) -> dict | None:
    if document is None:
        return None
    request = _request(context)
    url = document.url
    return {
        "id": document.pk,
        "title": document.title,
        "file_extension": document.file_extension,
        "url": request.build_absolute_uri(url) if request else url,
    }


class LinkAPIMixin:
    """Adds ``href``: the chosen page's full URL, or the external link."""

    def get_api_representation(self, value, context=None):
        data = super().get_api_representation(value, context)
        page = value.get("page")
        data["href"] = page_link(page, context) if page else (value.get("url") or "")
        return data


class ImageAPIMixin:
    """Replaces the image id with the image's details and renditions."""

    def get_api_representation(self, value, context=None):
        data = super().get_api_representation(value, context)
        data["image"] = image_representation(value.get("image"))
        return data


class DocumentAPIMixin:
    """Replaces the document id with its title, type and download URL."""

    def get_api_representation(self, value, context=None):
        data = super().get_api_representation(value, context)
        data["document"] = document_representation(value.get("document"), context)
        return data
