from django import template

from ..cache import FRAGMENT_TIMEOUT, content_version

register = template.Library()


@register.simple_tag(takes_context=True)
def cms_content_version(context) -> str:
    """The site-wide content version (see ``cms.cache``), read once per request."""
    request = context.get("request")
    if request is None:
        return content_version()
    if not hasattr(request, "_cms_content_version"):
        request._cms_content_version = content_version()
    return request._cms_content_version


@register.simple_tag
def cms_fragment_timeout() -> int:
    return FRAGMENT_TIMEOUT
