from allauth.account.adapter import DefaultAccountAdapter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from cms.models import CouncilSettings
from portal.lib.client import client_ip
from portal.notifications.services import notification_email_send

from .mfa import has_admin_access
from .selectors import contact_flags_unseen


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
        resident = get_user_model().objects.filter(email__iexact=email, has_account=True).first()
        notification_email_send(
            to=email,
            user=resident,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            template=template_prefix,
            secrets=_secrets(context),
            # A message to a resident is contact; one to staff, or to an address with no account, is not.
            log_interaction=resident is not None and not has_admin_access(resident),
        )

    def login(self, request, user) -> None:
        """Staff sessions last a working day, not the fortnight residents get."""
        super().login(request, user)
        if has_admin_access(user):
            request.session.set_expiry(settings.PORTAL_STAFF_SESSION_SECONDS)

    def get_login_redirect_url(self, request) -> str:
        """Staff land in the admin, residents on My account (a ``next`` URL wins over both).

        allauth asks only when the sign-in had no safe ``next``, and only once the whole
        sign-in is done, 2-step verification included. Staff who have not set it up yet are
        sent on from the admin to set it up (``StaffMFAMiddleware``), then back to the admin.
        """
        if has_admin_access(request.user):
            return reverse("wagtailadmin_home")
        return super().get_login_redirect_url(request)

    def post_login(self, request, user, **kwargs):
        """After a resident signs in: if Notify could not deliver to their email address or
        phone number (a flag not yet shown to them), ask them to check it first, then go on
        to where they were going."""
        response = super().post_login(request, user, **kwargs)
        if has_admin_access(user) or not hasattr(response, "url"):
            return response
        if contact_flags_unseen(user):
            check = reverse("account_contact_check") + "?" + urlencode({"next": response.url})
            response = HttpResponseRedirect(check)
        return response

    def get_client_ip(self, request) -> str:
        """allauth's rate limits key on the client behind the trusted proxies, never on the proxy."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def populate_username(self, request, user) -> None:
        """Email is the username; there is nothing to populate."""


def _secrets(context: dict) -> dict[str, str]:
    """The links and codes in an allauth email that sign someone in or prove the address.

    The outbox keeps these placeholders instead (``notification_email_send(secrets=...)``).
    ``password_reset_url`` is a secret only with a ``key`` (the reset link itself): the
    "account already exists" email links to the public reset page.
    """
    secrets = {}
    if context.get("key"):
        secrets[str(context["key"])] = "[redacted key]"
        if context.get("password_reset_url"):
            secrets[str(context["password_reset_url"])] = "[redacted password reset link]"
    if context.get("activate_url"):
        secrets[str(context["activate_url"])] = "[redacted confirmation link]"
    if context.get("code"):
        secrets[str(context["code"])] = "[redacted code]"
    return secrets


def _council_name(request) -> str:
    """The council's name from its site settings (falls back to WAGTAIL_SITE_NAME)."""
    council = (
        CouncilSettings.for_request(request)
        if request is not None
        else CouncilSettings.objects.order_by("pk").first()
    )
    return council.council_name if council else settings.WAGTAIL_SITE_NAME
