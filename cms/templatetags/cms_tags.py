from django import template

from ..chrome import Chrome, chrome_for_request
from ..models import Alert

register = template.Library()


@register.inclusion_tag("cms/includes/alerts.html", takes_context=True)
def active_alerts(context, compact=False):
    """Site-wide alerts in force now, most severe first (from the cached chrome, ``cms.chrome``).

    ``compact`` (a form's steps): each alert as a one-line summary that expands, so it does
    not push the question down a phone screen."""
    request = context.get("request")
    if request is not None:
        alerts = chrome_for_request(request).alerts_active()
    else:  # a template rendered without a request (an email, a test)
        chrome = Chrome(version="", site=None, settings=None, alerts=list(Alert.objects.active()))
        alerts = chrome.alerts_active()
    return {"alerts": alerts, "compact": compact}


@register.simple_tag(takes_context=True)
def footer_links(context) -> list[dict[str, str]]:
    """The council's footer links as text and address (worked out once, ``cms.chrome``)."""
    request = context.get("request")
    return chrome_for_request(request).footer_links if request is not None else []


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page=None, current_label=None):
    """GOV.UK breadcrumbs from the site root to the page's parent (ancestors in one query)."""
    page = page or context.get("page")
    if page is None:
        return {"crumbs": []}
    ancestors = page.get_ancestors().filter(depth__gt=1).only("title", "url_path", "depth")
    crumbs = [
        {"title": "Home" if a.depth == 2 else a.title, "url": a.get_url(context.get("request"))}
        for a in ancestors
    ]
    if current_label:
        crumbs.append({"title": page.title, "url": page.get_url(context.get("request"))})
    return {"crumbs": crumbs}
