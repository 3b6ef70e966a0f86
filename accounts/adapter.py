from allauth.account.adapter import DefaultAccountAdapter

from portal.notifications.services import notification_email_send


class AccountAdapter(DefaultAccountAdapter):
    """allauth, adapted to the portal: emails go through the notifications outbox."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = context.get("request") or self.request
        ctx = {"request": request, "email": email, "council_name": _council_name(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        notification_email_send(
            to=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            template=template_prefix,
        )

    def populate_username(self, request, user) -> None:
        """Email is the username; there is nothing to populate."""


def _council_name(request) -> str:
    """The council's name from its site settings (falls back to WAGTAIL_SITE_NAME)."""
    from django.conf import settings

    from cms.models import CouncilSettings

    council = (
        CouncilSettings.for_request(request)
        if request is not None
        else CouncilSettings.objects.order_by("pk").first()
    )
    return council.council_name if council else settings.WAGTAIL_SITE_NAME
