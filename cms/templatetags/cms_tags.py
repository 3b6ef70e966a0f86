from django import template

from ..models import Alert, AlertSeverity

register = template.Library()

_ORDER = {AlertSeverity.CRITICAL: 0, AlertSeverity.WARNING: 1, AlertSeverity.INFO: 2}


@register.inclusion_tag("cms/includes/alerts.html")
def active_alerts(compact=False):
    """Site-wide alerts in force now, most severe first: one query per page.

    ``compact`` (a form's steps): each alert as a one-line summary that expands, so it does
    not push the question down a phone screen."""
    alerts = sorted(
        Alert.objects.active(), key=lambda a: (_ORDER.get(a.severity, 9), -a.starts_at.timestamp())
    )
    return {"alerts": alerts, "compact": compact}


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
