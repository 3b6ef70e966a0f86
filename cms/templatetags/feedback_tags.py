from django import template

from wagtail.models import Page

from ..services import FeedbackReason, page_feedback_state

register = template.Library()


@register.inclusion_tag("cms/includes/page_feedback.html", takes_context=True)
def page_feedback(context):
    """ "Was this page useful? Yes / No" for council pages (and views that set
    ``show_page_feedback``). Not on My account, sign-in or form pages, nor in previews.

    Never cache this: it carries a CSRF token and this session's answer.
    """
    request = context.get("request")
    page = context.get("page")
    is_page = isinstance(page, Page)
    if (
        request is None
        or getattr(request, "is_preview", False)
        or not (is_page or context.get("show_page_feedback"))
    ):
        return {"show": False}
    path = request.get_full_path()[:1000]
    return {
        "show": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "feedback_page_id": page.pk if is_page else "",
        "feedback_path": path,
        "state": page_feedback_state(session=getattr(request, "session", None), path=path),
        "reasons": FeedbackReason.CHOICES,
    }
