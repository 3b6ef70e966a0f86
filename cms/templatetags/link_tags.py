from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def link_href(context, value) -> str:
    """A link block's address (``page`` or ``url``).

    Like ``LinkStructValue.href``, but a chosen page's URL is worked out with the request,
    so the sites' root paths are read once per request rather than once per link (a
    cache round trip each, which would grow with the number of links on a page).
    """
    page = value.get("page")
    if page is not None:
        return page.get_url(context.get("request")) or ""
    return value.get("url") or ""
